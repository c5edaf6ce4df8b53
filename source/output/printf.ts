// printf() and printa()'s format strings applied to typed values, as
// DTrace's dt_printf_format does: each integer is read at its own size (a
// short printed with %x is four hex digits at most; %d of an unsigned type
// prints unsigned), a width or precision of 0 is not given to C (so "%.0s"
// prints the whole string), a negative dynamic width left-justifies, "%?"
// is 16 wide, %a/%A print symbol+offset, %Y/%T a walltimestamp, %S and %C
// escape, %k prints a stack, and %@ the aggregation's value (a histogram for
// the quantizing functions).
//
// Strings from traced processes (%s, %c, %ls) are escaped on terminals; with
// `strings: "raw"` (output to a pipe or file) they are written as DTrace
// writes them. The format's own text is the program author's and is never
// altered. See source/output/README.md, "Output and hostile strings".

import { escapeDString, escapeForTerminal } from "../util/escape.ts";
import { scalarValue } from "./aggvalue.ts";
import { type CSpec, cChar, cFloat, cInteger, cString, type FloatConv, type IntConv } from "./cformat.ts";
import type { AggData, DValue, IntValue, KeyValue, StackValue, Symbolizer } from "./model.ts";
import { type Conversion, type ParsedFormat, parseFormat } from "./printf-format.ts";
import { formatLLQuantize, formatLQuantize, formatQuantize } from "./quantize.ts";
import { addressText, STACK_INDENT, stackText, symText } from "./symbols.ts";
import { formatTimeT, formatTimeY } from "./timefmt.ts";

/** How strings copied from traced processes are written. */
export type StringPolicy = "escape" | "raw";

export interface FormatContext {
	/** Names addresses for %a, %A, stacks and sym() values that arrive unresolved. */
	symbolize?: Symbolizer;
	/** $target (-p/-c): the process %A looks a plain integer up in. */
	target?: number;
	/** "escape" (terminals; the default) or "raw" (pipes and files, as DTrace). */
	strings?: StringPolicy;
	/** DTrace's stackindent option (14). */
	stackIndent?: number;
	/** The zone %Y and %T use (the process's local zone by default). */
	timeZone?: string;
	/** aggzoom: histogram bars scaled to the largest count. */
	zoom?: boolean;
}

/** A printf() or printa() that cannot be formatted with the values it got (DTrace's EDT_DMISMATCH). */
export class PrintfRuntimeError extends Error {
	constructor(message: string) {
		super(message);
		this.name = "PrintfRuntimeError";
	}
}

/** A traced string as the context's policy writes it. */
export function tracedString(s: string, ctx: FormatContext): string {
	return ctx.strings === "raw" ? s : escapeForTerminal(s);
}

function intOf(v: DValue | undefined): IntValue | undefined {
	if (!v) return undefined;
	if (v.kind === "int") return v;
	if (v.kind === "sym") return { kind: "int", value: v.addr, size: 8, signed: false };
	if (v.kind === "float")
		return { kind: "int", value: Number.isFinite(v.value) ? BigInt(Math.trunc(v.value)) : 0n, size: 8, signed: true };
	return undefined;
}

/** An integer read as C reads `size` bytes: signed or unsigned. */
export function cValue(v: IntValue, signed: boolean): bigint {
	const bits = v.size * 8;
	return signed ? BigInt.asIntN(bits, v.value) : BigInt.asUintN(bits, v.value);
}

function charText(code: number, ctx: FormatContext): string {
	if (code >= 0x80) return `\\x${code.toString(16)}`;
	return tracedString(String.fromCharCode(code), ctx);
}

function stringOf(v: DValue): string {
	switch (v.kind) {
		case "string":
			return v.value;
		case "int":
			return v.value.toString();
		case "float":
			return String(v.value);
		case "bytes":
			return new TextDecoder().decode(v.bytes);
		default:
			return "";
	}
}

/** One value converted by one conversion (the value already chosen). */
export function convert(cv: Conversion, spec: CSpec, v: DValue, ctx: FormatContext): string {
	const info = cv.info;
	switch (info.cls) {
		case "sint":
		case "uint": {
			const iv = intOf(v);
			if (!iv) throw new PrintfRuntimeError(`%${cv.name} needs an integer, not a ${v.kind}`);
			if (info.ofmt === "c" || info.ofmt === "lc" || info.ofmt === "wc") {
				const code = Number(info.ofmt === "c" ? BigInt.asUintN(8, iv.value) : BigInt.asUintN(32, iv.value));
				return cChar(charText(code, ctx), spec);
			}
			// %d and %i follow the argument's signedness (DTrace turns them into %u);
			// %hd, %ld, %lld are signed, o u x X p unsigned.
			const signed = info.cls === "sint" && (iv.signed || (cv.name !== "d" && cv.name !== "i"));
			const conv = (signed ? info.ofmt : info.ofmt === "d" || info.ofmt === "i" ? "u" : info.ofmt) as IntConv;
			return cInteger(cValue(iv, signed), conv, spec);
		}
		case "float": {
			const x = v.kind === "float" ? v.value : v.kind === "int" ? Number(cValue(v, v.signed)) : Number.NaN;
			return cFloat(x, info.ofmt as FloatConv, spec);
		}
		case "kaddr":
		case "uaddr": {
			const user = info.cls === "uaddr";
			// A sym()/func()/usym()/ufunc() value is its symbol's start, and mod()/umod() prints
			// the module (DTrace's pfprint_mod); uaddr() and plain integers get symbol+offset.
			if (v.kind === "sym" && v.fn !== "uaddr") return cString(symText(v, ctx.symbolize), spec);
			const addr = v.kind === "sym" ? v.addr : (intOf(v)?.value ?? 0n);
			const pid = v.kind === "sym" ? (v.pid ?? ctx.target) : ctx.target;
			const at = v.kind === "sym" ? v.at : undefined;
			return cString(addressText(addr, at ?? ctx.symbolize?.(addr, user ? pid : undefined), user), spec);
		}
		case "string":
		case "wstring":
			return cString(v.kind === "string" && v.trusted ? v.value : tracedString(stringOf(v), ctx), spec);
		case "escaped":
			return cString(escapeDString(stringOf(v)), spec);
		case "echar": {
			const iv = intOf(v);
			return cString(escapeDString(new Uint8Array([Number(BigInt.asUintN(8, iv?.value ?? 0n))])), spec);
		}
		case "time":
		case "time822": {
			const ns = intOf(v)?.value ?? 0n;
			return cString(info.cls === "time" ? formatTimeY(ns, ctx.timeZone) : formatTimeT(ns, ctx.timeZone), spec);
		}
		case "stack":
			return stackConversion(spec, v, ctx);
		case "percent":
			return "%";
	}
}

/** %k: DTrace's pfprint_stack, where a left-justified width becomes the frames' indentation. */
function stackConversion(spec: CSpec, v: DValue, ctx: FormatContext): string {
	if (v.kind !== "stack") throw new PrintfRuntimeError(`%k needs a stack, not a ${v.kind}`);
	const indent = spec.left ? (spec.width ?? 0) : 0;
	const frameSpec: CSpec = spec.left ? { ...spec, width: undefined } : spec;
	return stackText(v as StackValue, indent, frameSpec, ctx.symbolize);
}

/** The text of a %@ conversion for one aggregation's value. */
function aggConversion(cv: Conversion, spec: CSpec, a: AggArg, ctx: FormatContext): string {
	const d = a.data;
	const o = { normal: a.normal, zoom: ctx.zoom };
	if (d.fn === "quantize") return formatQuantize(d.buckets, o);
	if (d.fn === "lquantize") return formatLQuantize(d.params, d.buckets, o);
	if (d.fn === "llquantize") return formatLLQuantize(d.params, d.buckets, o);
	const value = scalarValue(d, a.normal);
	if (!value) throw new PrintfRuntimeError(`no value for %@${cv.name}`);
	return convert(cv, spec, value, ctx);
}

export interface AggArg {
	data: AggData;
	normal: bigint;
}

export function specOf(cv: Conversion, width: number, precision: number): CSpec {
	return {
		alt: cv.alt,
		zero: cv.zero,
		left: cv.left || width < 0,
		plus: cv.plus,
		space: cv.space,
		group: cv.group,
		width: width !== 0 ? Math.abs(width) : undefined,
		precision: precision > 0 ? precision : undefined,
	};
}

function dynamic(v: DValue | undefined, cv: Conversion): number {
	const iv = intOf(v);
	if (!iv) throw new PrintfRuntimeError(`conversion #${cv.index} (%${cv.name}) has no integer for its '*'`);
	return Number(BigInt.asIntN(32, iv.value));
}

function run(p: ParsedFormat, values: DValue[], aggs: AggArg[] | undefined, ctx: FormatContext, what: string): string {
	let out = "";
	let n = 0;
	// printa: the first %@ takes the first aggregation, each next one the next,
	// and any beyond the last take the last again (DTrace's curagg).
	let agg = 0;
	const next = (cv: Conversion): DValue => {
		const v = values[n++];
		if (v === undefined) throw new PrintfRuntimeError(`${what} has no value for conversion #${cv.index} (%${cv.name})`);
		return v;
	};
	for (const cv of p.conversions) {
		out += cv.prefix;
		if (cv.info.cls === "percent") {
			out += "%";
			continue;
		}
		const width = cv.dynWidth ? dynamic(next(cv), cv) : cv.width;
		const precision = cv.dynPrecision ? dynamic(next(cv), cv) : cv.precision;
		const spec = specOf(cv, width, precision);
		if (cv.agg) {
			if (!aggs?.length) throw new PrintfRuntimeError(`%@ conversion #${cv.index} outside printa()`);
			out += aggConversion(cv, spec, aggs[Math.min(agg, aggs.length - 1)], ctx);
			agg++;
		} else out += convert(cv, spec, next(cv), ctx);
	}
	return out + p.suffix;
}

/** printf(format, args...). */
export function formatPrintf(format: string | ParsedFormat, args: DValue[], ctx: FormatContext = {}): string {
	return run(typeof format === "string" ? parseFormat(format) : format, args, undefined, ctx, "printf()");
}

/** One printa() row with a format: the keys feed the plain conversions, the aggregations the %@ ones. */
export function formatPrintaRow(
	format: string | ParsedFormat,
	keys: KeyValue[],
	aggs: AggArg[],
	ctx: FormatContext = {},
): string {
	return run(typeof format === "string" ? parseFormat(format) : format, keys, aggs, ctx, "printa()");
}

/** The default stack indentation of a context. */
export function stackIndent(ctx: FormatContext): number {
	return ctx.stackIndent ?? STACK_INDENT;
}
