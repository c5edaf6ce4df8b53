// D's printf()/printa() format strings, parsed the way DTrace parses them
// (libdtrace's dt_printf_create), with DTrace's table of conversions and the
// argument each accepts, and the compile-time check of arguments against the
// conversions (dt_printf_validate) with DTrace's D_PRINTF_* errors. The D
// checker calls checkPrintfArgs(); the formatter in printf.ts uses the parse.

import type { IntSize } from "./model.ts";

/** What a conversion prints from, and so which arguments it accepts. */
export type ArgClass =
	| "sint" // d i for signed, c, and the h/l/ll forms: an integer, printed by its size
	| "uint" // o u x X p
	| "float" // e E f g G, L forms
	| "kaddr" // %a: kernel address as symbol+offset
	| "uaddr" // %A: user address as symbol+offset
	| "string" // %s
	| "escaped" // %S: string with C escapes
	| "echar" // %C: one character with C escapes
	| "wstring" // %ls %ws
	| "stack" // %k
	| "time" // %Y: walltimestamp as "2004 Jan 25 13:00:00"
	| "time822" // %T: RFC 822 time
	| "percent"; // %%

/** How a conversion checks its argument (DTrace's pfcheck_* functions). */
export type ArgCheck =
	| "dint"
	| "xint"
	| "csi"
	| "fp"
	| "addr"
	| "kaddr"
	| "uaddr"
	| "str"
	| "wstr"
	| "stack"
	| "time"
	| "xshort"
	| "xlong"
	| "xlonglong"
	| { type: "short" | "unsigned short" | "int" | "long" | "unsigned long" | "long long" | "unsigned long long" }
	| { type: "long double" }
	| "none";

export interface ConversionInfo {
	/** The conversion character C's printf gets (d, u, x, s, ...). */
	ofmt: string;
	cls: ArgClass;
	check: ArgCheck;
	/** The prototype DTrace names in its errors. */
	prototype: string;
}

const XINT = "char, short, int, long, or long long";
const CSI = "char, short, or int";
const FP = "float, double, or long double";
const ADDR = "pointer or integer";
const UADDR = "pointer or integer (with -p/-c) or _usymaddr (without -p/-c)";
const CSTR = "char [] or string (or use stringof)";
const WSTR = "wchar_t []";

function c(ofmt: string, cls: ArgClass, check: ArgCheck, prototype: string): ConversionInfo {
	return { ofmt, cls, check, prototype };
}

/** DTrace's conversion dictionary (dt_printf.c's _dtrace_conversions). */
export const CONVERSIONS: Readonly<Record<string, ConversionInfo>> = (() => {
	const t: Record<string, ConversionInfo> = {
		a: c("s", "kaddr", "kaddr", ADDR),
		A: c("s", "uaddr", "uaddr", UADDR),
		c: c("c", "sint", "csi", CSI),
		C: c("s", "echar", "csi", CSI),
		d: c("d", "sint", "dint", XINT),
		i: c("i", "sint", "dint", XINT),
		k: c("s", "stack", "stack", "stack"),
		lc: c("lc", "sint", { type: "int" }, "int"),
		wc: c("wc", "sint", { type: "int" }, "int"),
		ls: c("ls", "wstring", "wstr", WSTR),
		ws: c("ws", "wstring", "wstr", WSTR),
		o: c("o", "uint", "xint", XINT),
		u: c("u", "uint", "xint", XINT),
		x: c("x", "uint", "xint", XINT),
		X: c("X", "uint", "xint", XINT),
		p: c("x", "uint", "addr", ADDR),
		s: c("s", "string", "str", CSTR),
		S: c("s", "escaped", "str", CSTR),
		T: c("s", "time822", "time", "int64_t"),
		Y: c("s", "time", "time", "int64_t"),
		"%": c("%", "percent", "none", "void"),
	};
	for (const f of ["e", "E", "f", "g", "G"]) {
		t[f] = c(f, "float", "fp", FP);
		t[`L${f}`] = c(f, "float", { type: "long double" }, "long double");
	}
	// %hd %ld %lld need exactly that signed type, %ho %lu ... the unsigned one;
	// the hex forms take either (DTrace's pfcheck_xshort, _xlong, _xlonglong).
	const sized = [
		["h", "short", "xshort"],
		["l", "long", "xlong"],
		["ll", "long long", "xlonglong"],
	] as const;
	for (const [prefix, base, hex] of sized) {
		for (const f of ["d", "i"]) t[prefix + f] = c(f, "sint", { type: base }, base);
		for (const f of ["o", "u"]) t[prefix + f] = c(f, "uint", { type: `unsigned ${base}` }, `unsigned ${base}`);
		for (const f of ["x", "X"]) t[prefix + f] = c(f, "uint", hex, base);
	}
	return t;
})();

export interface Conversion {
	/** 1-based position among the format's conversions (DTrace's "conversion #n"). */
	index: number;
	/** Literal text printed before it. */
	prefix: string;
	/** The conversion's name in the table: "d", "lld", "hx", "%", ... */
	name: string;
	info: ConversionInfo;
	alt: boolean;
	zero: boolean;
	left: boolean;
	plus: boolean;
	space: boolean;
	group: boolean;
	/** %@: takes the aggregation's value (printa only). */
	agg: boolean;
	width: number;
	precision: number;
	dynWidth: boolean;
	dynPrecision: boolean;
}

export interface ParsedFormat {
	format: string;
	conversions: Conversion[];
	/** Literal text after the last conversion. */
	suffix: string;
}

/** A format string DTrace would reject when compiling (D_SYNTAX). */
export class PrintfFormatError extends Error {
	readonly code = "D_SYNTAX";
	constructor(
		message: string,
		readonly conversion: number,
	) {
		super(message);
		this.name = "PrintfFormatError";
	}
}

const cache = new Map<string, ParsedFormat>();

/** Parses a D format string (cached: formats are few and reused per event). */
export function parseFormat(format: string): ParsedFormat {
	const hit = cache.get(format);
	if (hit) return hit;
	const parsed = parse(format);
	if (cache.size < 4096) cache.set(format, parsed);
	return parsed;
}

function parse(format: string): ParsedFormat {
	const conversions: Conversion[] = [];
	let q = 0;
	for (let p = format.indexOf("%", q); p >= 0; p = format.indexOf("%", q)) {
		const index = conversions.length + 1;
		const cv: Conversion = {
			index,
			prefix: format.slice(q, p),
			name: "",
			info: CONVERSIONS["%"],
			alt: false,
			zero: false,
			left: false,
			plus: false,
			space: false,
			group: false,
			agg: false,
			width: 0,
			precision: 0,
			dynWidth: false,
			dynPrecision: false,
		};
		let digits = 0;
		let dot = false;
		let name = "";
		let i = p + 1;
		const fail = (why: string): never => {
			throw new PrintfFormatError(`format conversion #${index} ${why}`, index);
		};
		for (; ; i++) {
			const ch = format[i];
			if (ch === undefined) fail("name expected before end of format string");
			if (ch >= "0" && ch <= "9") {
				if (!dot && digits === 0 && ch === "0") {
					cv.zero = true;
					cv.left = false;
					continue;
				}
				let n = 0;
				for (; format[i] >= "0" && format[i] <= "9"; i++)
					n = Math.min(n * 10 + (format.charCodeAt(i) - 48), 2 ** 31 - 1);
				i--;
				if (dot) cv.precision = n;
				else cv.width = n;
				digits++;
				continue;
			}
			if (ch === "#") cv.alt = true;
			else if (ch === "*") {
				if (dot ? cv.dynPrecision : cv.dynWidth)
					fail(`has more than one '*' specified for the output ${dot ? "precision" : "width"}`);
				if (dot) cv.dynPrecision = true;
				else cv.dynWidth = true;
			} else if (ch === "+") cv.plus = true;
			else if (ch === "-") {
				cv.left = true;
				cv.zero = false;
			} else if (ch === ".") {
				if (dot) fail("has more than one '.' specified");
				dot = true;
				digits = 0;
			} else if (ch === "?") cv.width = 16;
			else if (ch === "@") cv.agg = true;
			else if (ch === "'") cv.group = true;
			else if (ch === " ") cv.space = true;
			else if (ch === "$") fail("uses unsupported positional format (%n$)");
			else if (ch === "%") {
				if (format[i - 1] !== "%") fail("cannot be combined with other format flags: %%");
				name += ch;
				break;
			} else if (ch === "h" || ch === "l" || ch === "L" || ch === "w") {
				if (name.length < 6) name += ch;
			} else {
				name += ch;
				break;
			}
		}
		const info = CONVERSIONS[name];
		if (!Object.hasOwn(CONVERSIONS, name) || !info) fail(`is undefined: %${name}`);
		cv.name = name;
		cv.info = info;
		conversions.push(cv);
		q = i + 1;
	}
	return { format, conversions, suffix: format.slice(q) };
}

/** The type of a D expression, as far as printf's checks need it. */
export type ArgType =
	| {
			kind: "int";
			size: IntSize;
			signed: boolean;
			/** The C name after resolving typedefs ("unsigned short", "long"); from size and sign when absent. */
			base?: string;
			/** Typedef names on the way to it ("uint64_t"), outermost first. */
			typedefs?: string[];
			/** An enum counts as an integer. */
			name?: string;
	  }
	| { kind: "pointer"; name?: string }
	| { kind: "string" }
	| { kind: "chararray"; name?: string }
	| { kind: "wchararray"; name?: string }
	| { kind: "float"; size: 4 | 8 | 16; name?: string }
	| { kind: "stack" }
	| { kind: "symaddr"; user: boolean }
	| { kind: "aggregation" }
	| { kind: "void" }
	| { kind: "other"; name: string };

const INT_NAMES: Record<number, [string, string]> = {
	1: ["char", "unsigned char"],
	2: ["short", "unsigned short"],
	4: ["int", "unsigned int"],
	8: ["long", "unsigned long"],
};

function baseName(t: Extract<ArgType, { kind: "int" }>): string {
	return t.base ?? INT_NAMES[t.size][t.signed ? 0 : 1];
}

/** The name DTrace shows for an argument in its errors. */
export function argTypeName(t: ArgType): string {
	switch (t.kind) {
		case "int":
			return t.name ?? t.typedefs?.[0] ?? baseName(t);
		case "pointer":
			return t.name ?? "void *";
		case "string":
			return "string";
		case "chararray":
			return t.name ?? "char []";
		case "wchararray":
			return t.name ?? "wchar_t []";
		case "float":
			return t.name ?? (t.size === 4 ? "float" : t.size === 8 ? "double" : "long double");
		case "stack":
			return "stack";
		case "symaddr":
			return t.user ? "_usymaddr" : "_symaddr";
		case "aggregation":
			return "aggregation";
		case "void":
			return "void";
		case "other":
			return t.name;
	}
}

/** The size and signedness each exact-type conversion (%hd, %lu, ...) needs. */
const EXACT: Record<string, [IntSize, boolean]> = {
	short: [2, true],
	"unsigned short": [2, false],
	int: [4, true],
	long: [8, true],
	"unsigned long": [8, false],
	"long long": [8, true],
	"unsigned long long": [8, false],
};

/** Does DTrace accept an argument of this type for the conversion? `target`: -p or -c given. */
export function acceptsArg(check: ArgCheck, t: ArgType, target = false): boolean {
	const isInt = t.kind === "int";
	if (typeof check === "object") {
		if (check.type === "long double") return t.kind === "float" && t.size === 16;
		const [size, signed] = EXACT[check.type];
		return isInt && t.size === size && t.signed === signed;
	}
	switch (check) {
		case "dint":
		case "xint":
			return isInt;
		case "csi":
			return isInt && t.size <= 4;
		case "fp":
			return t.kind === "float";
		case "addr":
			return isInt || t.kind === "pointer";
		case "kaddr":
			return isInt || t.kind === "pointer" || (t.kind === "symaddr" && !t.user);
		case "uaddr":
			return (t.kind === "symaddr" && t.user) || (target && (isInt || t.kind === "pointer"));
		case "str":
			return t.kind === "string" || t.kind === "chararray";
		case "wstr":
			return t.kind === "wchararray";
		case "stack":
			return t.kind === "stack";
		case "time":
			return isInt && t.size === 8;
		case "xshort":
		case "xlong": {
			if (!isInt) return false;
			const n = baseName(t)
				.replace(/^signed /, "")
				.replace(/^unsigned /, "");
			return n === (check === "xshort" ? "short" : "long");
		}
		case "xlonglong":
			if (!isInt) return false;
			if (baseName(t).replace(/^(un)?signed /, "") === "long long") return true;
			return (t.typedefs ?? []).some((d) => d === "int64_t" || d === "uint64_t");
		case "none":
			return true;
	}
}

/** A printf()/printa() call DTrace would reject when compiling; `code` is its D_PRINTF_* tag. */
export class PrintfArgError extends Error {
	constructor(
		readonly code: string,
		message: string,
	) {
		super(message);
		this.name = "PrintfArgError";
	}
}

export interface CheckOptions {
	/** The function's name in messages: "printf", "printa", "system", ... */
	func: string;
	/** printa(): keys are the arguments and %@ takes the value of this aggregating function. */
	aggregation?: { fn: string };
	/** -p or -c given ($target defined): %A then takes plain integers. */
	target?: boolean;
}

/**
 * Checks arguments against a parsed format as DTrace does when compiling:
 * for printf() the arguments after the format (argument #2 on), for printa()
 * the aggregation's key types. Throws PrintfArgError; returns nothing.
 */
export function checkPrintfArgs(parsed: ParsedFormat, args: ArgType[], o: CheckOptions): void {
	const fail = (code: string, msg: string): never => {
		throw new PrintfArgError(code, msg);
	};
	if (parsed.format === "") fail("D_PRINTF_FMT_EMPTY", `${o.func}( ) format string is empty`);
	const aggType: ArgType = { kind: "int", size: 8, signed: o.aggregation?.fn !== "count", typedefs: [] };
	if (aggType.kind === "int") aggType.typedefs = [aggType.signed ? "int64_t" : "uint64_t"];
	let j = 0;
	for (const cv of parsed.conversions) {
		if (cv.info.cls === "percent") continue;
		const dyns = [cv.dynWidth ? "*" : "", cv.dynPrecision ? ".*" : ""].filter(Boolean);
		for (const d of dyns) {
			const a = args[j];
			if (!a)
				fail(
					"D_PRINTF_DYN_PROTO",
					`${o.func}( ) prototype mismatch: conversion #${cv.index} (%${cv.name}) is missing a corresponding "${d}" argument`,
				);
			if (a.kind !== "int")
				fail(
					"D_PRINTF_DYN_TYPE",
					`${o.func}( ) argument #${j + 2} is incompatible with conversion #${cv.index} prototype:\n\tconversion: % ${d} ${cv.name}\n\t prototype: int\n\t  argument: ${argTypeName(a)}`,
				);
			j++;
		}
		let what: string;
		let t: ArgType;
		if (cv.agg) {
			if (!o.aggregation)
				fail("D_PRINTF_AGG_CONV", `%@ conversion requires an aggregation and is not for use with ${o.func}( )`);
			what = "aggregating action";
			t = aggType;
		} else {
			const a = args[j];
			if (!a)
				fail(
					"D_PRINTF_ARG_PROTO",
					`${o.func}( ) prototype mismatch: conversion #${cv.index} (%${cv.name}) is missing a corresponding value argument`,
				);
			what = `argument #${j + 2}`;
			t = a;
			j++;
		}
		if (!acceptsArg(cv.info.check, t, o.target))
			fail(
				"D_PRINTF_ARG_TYPE",
				`${o.func}( ) ${what} is incompatible with conversion #${cv.index} prototype:\n\tconversion: %${cv.name}\n\t prototype: ${cv.info.prototype}\n\t  argument: ${argTypeName(t)}`,
			);
	}
	if (!o.aggregation && j < args.length)
		fail("D_PRINTF_ARG_EXTRA", `${o.func}( ) prototype mismatch: only ${j} arguments required by this format string`);
}
