// C's printf conversions, as glibc performs them in the C locale (DTrace's
// output goes through vsnprintf): integers of any width from bigints, doubles
// converted exactly (round-half-even on the exact binary value, as glibc does,
// where JavaScript's toFixed rounds half up), strings measured in bytes.
// Widths and precisions are clamped at 16 MiB so that one hostile conversion
// ("%2147483647d") cannot exhaust memory; DTrace's own tests go to 10,000,000.

export interface CSpec {
	left?: boolean;
	plus?: boolean;
	space?: boolean;
	zero?: boolean;
	alt?: boolean;
	/** The ' flag: digit grouping, which the C locale does not have. */
	group?: boolean;
	width?: number;
	/** undefined: no precision given. */
	precision?: number;
}

export const MAX_FIELD = 16 * 1024 * 1024;

const encoder = new TextEncoder();

/** Bytes of s in UTF-8 (C's widths count bytes). */
export function byteLength(s: string): number {
	for (let i = 0; i < s.length; i++) if (s.charCodeAt(i) >= 0x80) return encoder.encode(s).length;
	return s.length;
}

function clamp(n: number | undefined): number {
	return n === undefined ? 0 : Math.min(Math.max(0, n), MAX_FIELD);
}

/** Pads `body` (after `prefix`, a sign or 0x) to the width; zeros go between them. */
function pad(prefix: string, body: string, spec: CSpec, zeroOk: boolean, bodyBytes?: number): string {
	const width = clamp(spec.width);
	const len = prefix.length + (bodyBytes ?? body.length);
	if (len >= width) return prefix + body;
	const fill = width - len;
	if (spec.left) return prefix + body + " ".repeat(fill);
	if (spec.zero && zeroOk) return prefix + "0".repeat(fill) + body;
	return " ".repeat(fill) + prefix + body;
}

export type IntConv = "d" | "i" | "u" | "x" | "X" | "o";

/**
 * An integer conversion. `value` is the number to print: the caller has
 * already read it as signed or unsigned at its size (d/i print a sign; u, x,
 * X and o expect a non-negative value).
 */
export function cInteger(value: bigint, conv: IntConv, spec: CSpec = {}): string {
	const signed = conv === "d" || conv === "i";
	const neg = value < 0n;
	const mag = neg ? -value : value;
	let digits =
		conv === "x"
			? mag.toString(16)
			: conv === "X"
				? mag.toString(16).toUpperCase()
				: conv === "o"
					? mag.toString(8)
					: mag.toString();
	if (spec.precision !== undefined) {
		const p = clamp(spec.precision);
		digits = p === 0 && mag === 0n ? "" : digits.padStart(p, "0");
	}
	let prefix = neg ? "-" : signed && spec.plus ? "+" : signed && spec.space ? " " : "";
	if (spec.alt) {
		if ((conv === "x" || conv === "X") && mag !== 0n) prefix += conv === "x" ? "0x" : "0X";
		if (conv === "o" && !digits.startsWith("0")) digits = `0${digits}`;
	}
	return pad(prefix, digits, spec, spec.precision === undefined);
}

/** %s: the precision cuts at that many bytes (never inside a character), the width pads in bytes. */
export function cString(s: string, spec: CSpec = {}): string {
	let body = s;
	let bytes = byteLength(s);
	if (spec.precision !== undefined && bytes > spec.precision) {
		const max = clamp(spec.precision);
		let n = 0;
		let i = 0;
		for (const ch of s) {
			const b = byteLength(ch);
			if (n + b > max) break;
			n += b;
			i += ch.length;
		}
		body = s.slice(0, i);
		bytes = n;
	}
	return pad("", body, spec, false, bytes);
}

/** %c of an already-chosen character text (one byte's worth). */
export function cChar(text: string, spec: CSpec = {}): string {
	return pad("", text, spec, false, 1);
}

export type FloatConv = "e" | "E" | "f" | "F" | "g" | "G";

interface Exact {
	/** |x| = num / den, den a power of two. */
	num: bigint;
	den: bigint;
	neg: boolean;
}

function exact(x: number): Exact {
	const dv = new DataView(new ArrayBuffer(8));
	dv.setFloat64(0, x);
	const hi = dv.getUint32(0);
	const lo = dv.getUint32(4);
	const biased = (hi >>> 20) & 0x7ff;
	const frac = (BigInt(hi & 0xfffff) << 32n) | BigInt(lo);
	const mant = biased === 0 ? frac : frac | (1n << 52n);
	const exp = biased === 0 ? -1074 : biased - 1075;
	const neg = (hi & 0x80000000) !== 0;
	return exp >= 0 ? { num: mant << BigInt(exp), den: 1n, neg } : { num: mant, den: 1n << BigInt(-exp), neg };
}

/** num/den rounded to the nearest integer, ties to even. */
function roundDiv(num: bigint, den: bigint): bigint {
	const q = num / den;
	const r2 = (num % den) * 2n;
	if (r2 > den || (r2 === den && (q & 1n) === 1n)) return q + 1n;
	return q;
}

function pow10(n: number): bigint {
	return 10n ** BigInt(n);
}

/** Digits of round(|x| * 10^p), as a decimal string. */
function scaled(e: Exact, p: number): string {
	return p >= 0 ? roundDiv(e.num * pow10(p), e.den).toString() : roundDiv(e.num, e.den * pow10(-p)).toString();
}

function fixedDigits(e: Exact, p: number, alt: boolean): string {
	const d = scaled(e, p).padStart(p + 1, "0");
	const int = d.slice(0, d.length - p);
	const frac = d.slice(d.length - p);
	return p > 0 || alt ? `${int}.${frac}` : int;
}

/** The decimal exponent and p+1 significant digits of |x| rounded. */
function expDigits(e: Exact, p: number): { digits: string; exp: number } {
	if (e.num === 0n) return { digits: "0".repeat(p + 1), exp: 0 };
	// log10(num/den) from the bit lengths: within one of the exponent, then corrected exactly.
	let x = Math.floor((e.num.toString(2).length - e.den.toString(2).length) * Math.LOG10E * Math.LN2);
	const lo = pow10(p);
	const hi = lo * 10n;
	for (;;) {
		const n = p - x >= 0 ? roundDiv(e.num * pow10(p - x), e.den) : roundDiv(e.num, e.den * pow10(x - p));
		if (n >= hi) x++;
		else if (n < lo) x--;
		else return { digits: n.toString(), exp: x };
	}
}

/** floor(log10(|x|)) of a non-zero value, exactly. */
function floorLog10(e: Exact): number {
	let x = Math.floor((e.num.toString(2).length - e.den.toString(2).length) * Math.LOG10E * Math.LN2);
	const ge = (k: number) => (k >= 0 ? e.num >= e.den * pow10(k) : e.num * pow10(-k) >= e.den);
	while (!ge(x)) x--;
	while (ge(x + 1)) x++;
	return x;
}

function expForm(digits: string, exp: number, upper: boolean, alt: boolean): string {
	const mant = digits.length > 1 || alt ? `${digits[0]}.${digits.slice(1)}` : digits;
	const sign = exp < 0 ? "-" : "+";
	return `${mant}${upper ? "E" : "e"}${sign}${Math.abs(exp).toString().padStart(2, "0")}`;
}

function stripZeros(s: string): string {
	const e = s.search(/[eE]/);
	const mant = e < 0 ? s : s.slice(0, e);
	const rest = e < 0 ? "" : s.slice(e);
	if (!mant.includes(".")) return s;
	return mant.replace(/0+$/, "").replace(/\.$/, "") + rest;
}

/** %e %E %f %F %g %G of a double, digit for digit what glibc prints. */
export function cFloat(x: number, conv: FloatConv, spec: CSpec = {}): string {
	const upper = conv === "E" || conv === "F" || conv === "G";
	const e = exact(x);
	const sign = e.neg ? "-" : spec.plus ? "+" : spec.space ? " " : "";
	if (!Number.isFinite(x)) {
		const t = Number.isNaN(x) ? "nan" : "inf";
		return pad(sign, upper ? t.toUpperCase() : t, spec, false);
	}
	const p = spec.precision === undefined ? 6 : clamp(spec.precision);
	const alt = spec.alt === true;
	let body: string;
	if (conv === "f" || conv === "F") body = fixedDigits(e, p, alt);
	else if (conv === "e" || conv === "E") {
		const { digits, exp } = expDigits(e, p);
		body = expForm(digits, exp, upper, alt);
	} else {
		const P = p === 0 ? 1 : p;
		const { digits, exp } = expDigits(e, P - 1);
		if (P > exp && exp >= -4) body = fixedDigits(e, P - 1 - exp, alt);
		else if (e.num !== 0n && exp === P && floorLog10(e) === P - 1)
			// glibc chooses the style before rounding: a value that rounds up into
			// the exponential style keeps the fixed style's zero fraction digits.
			body = expForm(digits.slice(0, 1), exp, upper, alt);
		else body = expForm(digits, exp, upper, alt);
		if (!alt) body = stripZeros(body);
	}
	return pad(sign, body, spec, true);
}
