// C's printf conversions as glibc performs them. The reference is GNU
// coreutils' printf(1) (Debian's /usr/bin/printf, which hands each
// conversion to the C library), run on the same specifications and values;
// DTrace formats every conversion with glibc's vsnprintf (dt_printf.c).
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { test } from "node:test";
import fc from "fast-check";
import { byteLength, type CSpec, cChar, cFloat, cInteger, cString, MAX_FIELD } from "../../../source/output/cformat.ts";

const COREUTILS_PRINTF = "/usr/bin/printf";

/** Runs printf(1) on one format with many values (it reuses the format for each). */
function reference(format: string, values: string[]): string[] {
	const out = execFileSync(COREUTILS_PRINTF, [`${format}\n`, ...values], {
		encoding: "utf8",
		env: { LC_ALL: "C", PATH: "/usr/bin:/bin" },
	});
	return out.split("\n").slice(0, values.length);
}

function specText(s: CSpec, conv: string): string {
	const flags = `${s.left ? "-" : ""}${s.plus ? "+" : ""}${s.space ? " " : ""}${s.zero ? "0" : ""}${s.alt ? "#" : ""}${s.group ? "'" : ""}`;
	return `%${flags}${s.width ?? ""}${s.precision !== undefined ? `.${s.precision}` : ""}${conv}`;
}

const specArb = fc.record(
	{
		left: fc.boolean(),
		plus: fc.boolean(),
		space: fc.boolean(),
		zero: fc.boolean(),
		alt: fc.boolean(),
		group: fc.boolean(),
		width: fc.option(fc.integer({ min: 0, max: 40 }), { nil: undefined }),
		precision: fc.option(fc.integer({ min: 0, max: 30 }), { nil: undefined }),
	},
	{ requiredKeys: [] },
);

test("integer conversions match glibc for random flags, widths, precisions and 64-bit values", () => {
	const convs = ["d", "i", "u", "x", "X", "o"] as const;
	const signed = fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n });
	const unsigned = fc.bigInt({ min: 0n, max: 2n ** 64n - 1n });
	let checked = 0;
	fc.assert(
		fc.property(
			specArb,
			fc.constantFrom(...convs),
			fc.array(signed, { minLength: 20, maxLength: 20 }),
			fc.array(unsigned, { minLength: 20, maxLength: 20 }),
			(s, conv, sv, uv) => {
				// coreutils accepts the ' flag only where POSIX defines it (d i u), # only for x X o.
				const spec = {
					...s,
					group: s.group && (conv === "d" || conv === "i" || conv === "u"),
					alt: s.alt && (conv === "x" || conv === "X" || conv === "o"),
				};
				const values = conv === "d" || conv === "i" ? [...sv, 0n, -1n, 1n] : [...uv, 0n, 1n, 2n ** 64n - 1n];
				const want = reference(specText(spec, conv), values.map(String));
				for (const [i, v] of values.entries())
					assert.equal(cInteger(v, conv, spec), want[i], `${specText(spec, conv)} of ${v}`);
				checked += values.length;
			},
		),
		{ numRuns: 150 },
	);
	assert.ok(checked >= 3000);
});

/** A double as a C99 hexadecimal floating constant (exact, for strtold). */
function hexFloat(x: number): string {
	if (Object.is(x, -0)) return "-0x0p+0";
	if (x === 0) return "0x0p+0";
	const dv = new DataView(new ArrayBuffer(8));
	dv.setFloat64(0, x);
	const neg = dv.getUint32(0) >>> 31 === 1;
	const biased = (dv.getUint32(0) >>> 20) & 0x7ff;
	const frac = ((BigInt(dv.getUint32(0) & 0xfffff) << 32n) | BigInt(dv.getUint32(4))).toString(16).padStart(13, "0");
	const lead = biased === 0 ? "0" : "1";
	const exp = biased === 0 ? -1022 : biased - 1023;
	return `${neg ? "-" : ""}0x${lead}.${frac}p${exp >= 0 ? "+" : ""}${exp}`;
}

test("floating conversions match glibc digit for digit (ties round to even on the exact value)", () => {
	const convs = ["e", "E", "f", "g", "G"] as const;
	// Doubles of every magnitude, plus the ties JavaScript's toFixed rounds the other way.
	const doubles = fc.oneof(
		fc.double({ noNaN: true, noDefaultInfinity: true }),
		fc.double({ min: -1e6, max: 1e6, noNaN: true }),
		fc.constantFrom(0.5, 1.5, 2.5, 0.125, 1e-5, 123456789, 0.1, 1e300, 5e-324, 2 ** 53, -0),
	);
	fc.assert(
		fc.property(
			specArb.map((s) => ({ ...s, group: false, precision: s.precision === undefined ? undefined : s.precision % 20 })),
			fc.constantFrom(...convs),
			fc.array(doubles, { minLength: 15, maxLength: 15 }),
			(spec, conv, xs) => {
				const want = reference(specText(spec, conv), xs.map(hexFloat));
				for (const [i, x] of xs.entries())
					assert.equal(cFloat(x, conv, spec), want[i], `${specText(spec, conv)} of ${x}`);
			},
		),
		{ numRuns: 120 },
	);
});

test("infinities and NaN print as glibc prints them, never zero-padded", () => {
	// glibc: inf, -inf, nan; upper case for %E %F %G; the 0 flag is ignored.
	assert.equal(cFloat(Number.POSITIVE_INFINITY, "f", { width: 6, zero: true }), "   inf");
	assert.equal(cFloat(Number.NEGATIVE_INFINITY, "E"), "-INF");
	assert.equal(cFloat(Number.NaN, "g", { plus: true }), "+nan");
});

test("strings: precision cuts and width pads in bytes, never inside a character", () => {
	// C's %s counts bytes: "größe" is 7 bytes in UTF-8.
	assert.equal(cString("größe", { width: 9 }), "  größe");
	assert.equal(cString("größe", { precision: 3 }), "gr");
	assert.equal(cString("größe", { precision: 4 }), "grö");
	assert.equal(cString("abc", { width: 5, left: true }), "abc  ");
	assert.equal(cString("abc", { precision: 0 }), "");
	assert.equal(byteLength("函数"), 6);
	assert.equal(cChar("a", { width: 3 }), "  a");
});

test("a width beyond 16 MiB is clamped, so one conversion cannot exhaust memory", () => {
	// DTrace's own test (printf/tst.wide) prints a 10,000,000-wide field: that still works.
	assert.equal(cInteger(1n, "d", { width: 10_000_000 }).length, 10_000_000);
	assert.equal(cInteger(1n, "d", { width: 2 ** 31 - 1 }).length, MAX_FIELD);
});
