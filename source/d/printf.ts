// printf()-style format strings as D checks them when it compiles a program
// (dt_printf.c: dt_printf_create and dt_printf_validate): the conversions DTrace
// knows, and which argument types each accepts. Formatting the output is the
// consumer's job; this only decides whether a program is valid D.

import { DTypeError, type Position } from "./errors.ts";
import { type DType, INT64, isInteger, typeName, UINT64 } from "./types.ts";

export interface Conversion {
	/** 1-based, counting every `%` (a `%%` too), as DTrace's messages do. */
	index: number;
	/** The conversion's name with its length modifiers: `d`, `lld`, `s`, `hx`, `%`. */
	name: string;
	dynamicWidth: boolean;
	dynamicPrecision: boolean;
	/** `%@`: the aggregation's value (printa only). */
	aggregation: boolean;
}

interface ConversionRule {
	/** The prototype DTrace's message names. */
	proto: string;
	accepts: (t: DType) => boolean;
}

const isPtr = (t: DType) => t.k === "ptr";
const int = (t: DType) => isInteger(t);
const size = (n: number, signed?: boolean) => (t: DType) =>
	t.k === "int" && t.size === n && (signed === undefined || t.signed === signed);
const str = (t: DType) => t.k === "string";
const never = () => false;

const RULES: Record<string, ConversionRule> = {
	a: { proto: "pointer or integer", accepts: (t) => int(t) || isPtr(t) || (t.k === "symaddr" && !t.user) },
	A: { proto: "pointer or integer", accepts: (t) => int(t) || isPtr(t) || (t.k === "symaddr" && t.user) },
	c: { proto: "char, short, or int", accepts: (t) => t.k === "int" && t.size <= 4 },
	C: { proto: "char, short, or int", accepts: (t) => t.k === "int" && t.size <= 4 },
	d: { proto: "char, short, int, long, or long long", accepts: int },
	i: { proto: "char, short, int, long, or long long", accepts: int },
	e: { proto: "float, double, or long double", accepts: never },
	E: { proto: "float, double, or long double", accepts: never },
	f: { proto: "float, double, or long double", accepts: never },
	g: { proto: "float, double, or long double", accepts: never },
	G: { proto: "float, double, or long double", accepts: never },
	hd: { proto: "short", accepts: size(2, true) },
	hi: { proto: "short", accepts: size(2, true) },
	ho: { proto: "unsigned short", accepts: size(2, false) },
	hu: { proto: "unsigned short", accepts: size(2, false) },
	hx: { proto: "short", accepts: size(2) },
	hX: { proto: "short", accepts: size(2) },
	k: { proto: "stack", accepts: (t) => t.k === "stack" },
	lc: { proto: "int", accepts: size(4, true) },
	ld: { proto: "long", accepts: size(8, true) },
	li: { proto: "long", accepts: size(8, true) },
	lo: { proto: "unsigned long", accepts: size(8, false) },
	lu: { proto: "unsigned long", accepts: size(8, false) },
	ls: { proto: "wchar_t []", accepts: never },
	lx: { proto: "long", accepts: size(8) },
	lX: { proto: "long", accepts: size(8) },
	lld: { proto: "long long", accepts: size(8, true) },
	lli: { proto: "long long", accepts: size(8, true) },
	llo: { proto: "unsigned long long", accepts: size(8, false) },
	llu: { proto: "unsigned long long", accepts: size(8, false) },
	llx: { proto: "long long", accepts: size(8) },
	llX: { proto: "long long", accepts: size(8) },
	Le: { proto: "long double", accepts: never },
	LE: { proto: "long double", accepts: never },
	Lf: { proto: "long double", accepts: never },
	Lg: { proto: "long double", accepts: never },
	LG: { proto: "long double", accepts: never },
	o: { proto: "char, short, int, long, or long long", accepts: int },
	p: { proto: "pointer or integer", accepts: (t) => int(t) || isPtr(t) },
	s: { proto: "char [] or string (or use stringof)", accepts: str },
	S: { proto: "char [] or string (or use stringof)", accepts: str },
	T: { proto: "int64_t", accepts: size(8) },
	u: { proto: "char, short, int, long, or long long", accepts: int },
	wc: { proto: "int", accepts: size(4, true) },
	ws: { proto: "wchar_t []", accepts: never },
	x: { proto: "char, short, int, long, or long long", accepts: int },
	X: { proto: "char, short, int, long, or long long", accepts: int },
	Y: { proto: "int64_t", accepts: size(8) },
	"%": { proto: "void", accepts: never },
};

const fail = (pos: Position, reason: string) => new DTypeError(pos, reason, "D_SYNTAX");

/** The conversions of a format string; errors as DTrace reports them (D_SYNTAX). */
export function parseFormat(format: string, pos: Position): Conversion[] {
	const out: Conversion[] = [];
	let i = format.indexOf("%");
	while (i >= 0) {
		const c: Conversion = {
			index: out.length + 1,
			name: "",
			dynamicWidth: false,
			dynamicPrecision: false,
			aggregation: false,
		};
		let dot = false;
		let length = "";
		let p = i + 1;
		for (; ; p++) {
			const ch = format[p];
			if (ch === undefined) throw fail(pos, `format conversion #${c.index} name expected before end of format string`);
			if (/[0-9#+\- ?']/.test(ch)) continue;
			if (ch === "*") {
				if (dot ? c.dynamicPrecision : c.dynamicWidth) {
					throw fail(
						pos,
						`format conversion #${c.index} has more than one '*' specified for the output ${dot ? "precision" : "width"}`,
					);
				}
				if (dot) c.dynamicPrecision = true;
				else c.dynamicWidth = true;
				continue;
			}
			if (ch === ".") {
				if (dot) throw fail(pos, `format conversion #${c.index} has more than one '.' specified`);
				dot = true;
				continue;
			}
			if (ch === "@") {
				c.aggregation = true;
				continue;
			}
			if (ch === "$") throw fail(pos, `format conversion #${c.index} uses unsupported positional format (%n$)`);
			if (ch === "%") {
				if (p !== i + 1) {
					throw fail(pos, `format conversion #${c.index} cannot be combined with other format flags: %%`);
				}
				c.name = "%";
				break;
			}
			if ("hlLw".includes(ch)) {
				if (length.length < 6) length += ch;
				continue;
			}
			c.name = length + ch;
			break;
		}
		if (!Object.hasOwn(RULES, c.name)) throw fail(pos, `format conversion #${c.index} is undefined: %${c.name}`);
		out.push(c);
		i = format.indexOf("%", p + 1);
	}
	return out;
}

export interface FormatArg {
	type: DType;
	pos: Position;
}

export interface FormatContext {
	/** printf, printa, system, freopen: the name in messages. */
	fn: string;
	/** The position of the call (for errors that have no argument). */
	pos: Position;
	/** printa(): the type `%@` reads (uint64_t for count(), int64_t otherwise). */
	aggregation?: DType;
	/** printf() and its kin: every value argument must be used. */
	exact: boolean;
}

/** Check the arguments against the conversions (dt_printf_validate). */
export function validateFormat(format: string, args: FormatArg[], ctx: FormatContext): Conversion[] {
	const { fn, pos } = ctx;
	if (format === "") throw new DTypeError(pos, `${fn}( ) format string is empty`, "D_PRINTF_FMT_EMPTY");
	const convs = parseFormat(format, pos);
	let j = 0;
	for (const c of convs) {
		if (c.name === "%") continue;
		const dyns = [...(c.dynamicWidth ? ["*"] : []), ...(c.dynamicPrecision ? [".*"] : [])];
		for (const d of dyns) {
			const a = args[j];
			if (!a) {
				throw new DTypeError(
					pos,
					`${fn}( ) prototype mismatch: conversion #${c.index} (%${c.name}) is missing a corresponding "${d}" argument`,
					"D_PRINTF_DYN_PROTO",
				);
			}
			if (!isInteger(a.type)) {
				throw new DTypeError(
					a.pos,
					`${fn}( ) argument #${j + 2} is incompatible with conversion #${c.index} prototype: conversion: % ${d} ${c.name}; prototype: int; argument: ${typeName(a.type)}`,
					"D_PRINTF_DYN_TYPE",
				);
			}
			j++;
		}
		let type: DType;
		let what: string;
		let at = pos;
		if (c.aggregation) {
			if (!ctx.aggregation) {
				throw new DTypeError(
					pos,
					`%@ conversion requires an aggregation and is not for use with ${fn}( )`,
					"D_PRINTF_AGG_CONV",
				);
			}
			type = ctx.aggregation;
			what = "aggregating action";
		} else {
			const a = args[j];
			if (!a) {
				throw new DTypeError(
					pos,
					`${fn}( ) prototype mismatch: conversion #${c.index} (%${c.name}) is missing a corresponding value argument`,
					"D_PRINTF_ARG_PROTO",
				);
			}
			type = a.type;
			at = a.pos;
			what = `argument #${j + 2}`;
			j++;
		}
		const rule = RULES[c.name]!;
		if (!rule.accepts(type)) {
			throw new DTypeError(
				at,
				`${fn}( ) ${what} is incompatible with conversion #${c.index} prototype: conversion: %${c.name}; prototype: ${rule.proto}; argument: ${typeName(type)}`,
				"D_PRINTF_ARG_TYPE",
			);
		}
	}
	if (ctx.exact && j < args.length) {
		throw new DTypeError(
			args[j]!.pos,
			`${fn}( ) prototype mismatch: only ${j} arguments required by this format string`,
			"D_PRINTF_ARG_EXTRA",
		);
	}
	return convs;
}

/** The type printa()'s `%@` reads for an aggregating function. */
export function aggregationValueType(fn: string): DType {
	return fn === "count" ? UINT64 : INT64;
}
