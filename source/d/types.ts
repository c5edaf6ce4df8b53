// D's types as the front end models them: the integer types of an LP64 Linux target
// with their sizes and signedness, strings, pointers, stacks, symbol addresses and
// the kernel's C types (known only by name here, so anything that needs their layout
// is rejected). Promotion follows DTrace's dt_type_promote, not C's: there is no
// promotion to int; the operand of higher rank wins, where rank = bits + (unsigned).

import { DTypeError, type Position, UNSUPPORTED } from "./errors.ts";
import type { TypeName } from "./syntax.ts";

export interface IntType {
	k: "int";
	/** The name as D prints it: `int`, `uint64_t`, `unsigned char`, `pid_t`, ... */
	name: string;
	size: 1 | 2 | 4 | 8;
	signed: boolean;
}

export type DType =
	| IntType
	| { k: "void" }
	| { k: "string" }
	| { k: "ptr"; to: DType }
	/** stack() / ustack() / jstack() values. */
	| { k: "stack" }
	/** func()/sym()/mod() (kernel) and ufunc()/usym()/umod()/uaddr() (user) values. */
	| { k: "symaddr"; user: boolean }
	/** A struct, union or enum of the kernel's (or any C) types: known by name only. */
	| { k: "sou"; name: string }
	| { k: "float"; name: string }
	/** An aggregation or an associative array named without its keys (DTrace's <DYN>). */
	| { k: "dynamic" };

export const int = (name: string, size: 1 | 2 | 4 | 8, signed: boolean): IntType => ({ k: "int", name, size, signed });

export const INT = int("int", 4, true);
export const UINT = int("unsigned int", 4, false);
export const LONG = int("long", 8, true);
export const ULONG = int("unsigned long", 8, false);
export const LONGLONG = int("long long", 8, true);
export const ULONGLONG = int("unsigned long long", 8, false);
export const CHAR = int("char", 1, true);
export const INT64 = int("int64_t", 8, true);
export const UINT64 = int("uint64_t", 8, false);
export const UINT32 = int("uint32_t", 4, false);
export const SIZE_T = int("size_t", 8, false);
export const UINTPTR = int("uintptr_t", 8, false);
export const STRING: DType = { k: "string" };
export const VOID: DType = { k: "void" };
export const STACK: DType = { k: "stack" };
export const CHAR_PTR: DType = { k: "ptr", to: CHAR };
export const VOID_PTR: DType = { k: "ptr", to: VOID };
export const DYNAMIC: DType = { k: "dynamic" };

/** The C base integer types (LP64, x86_64: plain char is signed). */
const BASE: Record<string, IntType> = {
	char: CHAR,
	"signed char": int("signed char", 1, true),
	"unsigned char": int("unsigned char", 1, false),
	short: int("short", 2, true),
	"unsigned short": int("unsigned short", 2, false),
	int: INT,
	"unsigned int": UINT,
	long: LONG,
	"unsigned long": ULONG,
	"long long": LONGLONG,
	"unsigned long long": ULONGLONG,
	_Bool: int("_Bool", 1, false),
};

/** Typedef names D defines (dt_open.c's LP64 table) and the kernel ones scripts use
 * without a module (uid_t, gid_t, processorid_t, ...). Each keeps its own name. */
const TYPEDEFS: Record<string, [1 | 2 | 4 | 8, boolean]> = {
	int8_t: [1, true],
	int16_t: [2, true],
	int32_t: [4, true],
	int64_t: [8, true],
	intptr_t: [8, true],
	ssize_t: [8, true],
	uint8_t: [1, false],
	uint16_t: [2, false],
	uint32_t: [4, false],
	uint64_t: [8, false],
	uchar_t: [1, false],
	ushort_t: [2, false],
	uint_t: [4, false],
	ulong_t: [8, false],
	u_longlong_t: [8, false],
	ptrdiff_t: [8, true],
	uintptr_t: [8, false],
	size_t: [8, false],
	id_t: [4, true],
	pid_t: [4, true],
	uid_t: [4, false],
	gid_t: [4, false],
	processorid_t: [4, true],
	dev_t: [4, false],
	mode_t: [4, false],
	off_t: [8, true],
	loff_t: [8, true],
	time_t: [8, true],
	ipaddr_t: [4, false],
	in_port_t: [2, false],
	zoneid_t: [4, true],
	projid_t: [4, true],
	taskid_t: [4, true],
	key_t: [4, true],
	// Kernel and BSD names scripts use without a module (linux/types.h).
	uint: [4, false],
	ulong: [8, false],
	ushort: [2, false],
	u_char: [1, false],
	u_short: [2, false],
	u_int: [4, false],
	u_long: [8, false],
};

/** Every word that can start a type name in an expression (casts, sizeof) or a declaration. */
export const TYPE_WORDS: ReadonlySet<string> = new Set([
	"void",
	"char",
	"short",
	"int",
	"long",
	"float",
	"double",
	"signed",
	"unsigned",
	"string",
	"const",
	"volatile",
	"restrict",
	"struct",
	"union",
	"enum",
	"_Bool",
	...Object.keys(TYPEDEFS),
]);

export const QUALIFIERS: ReadonlySet<string> = new Set(["const", "volatile", "restrict"]);

export function isTypedefName(word: string): boolean {
	return Object.hasOwn(TYPEDEFS, word);
}

export function typedef(name: string): IntType | undefined {
	const t = TYPEDEFS[name];
	return t ? int(name, t[0], t[1]) : undefined;
}

/** D's name for a type, as its messages print it (`int`, `char *`, `string`, `stack`). */
export function typeName(t: DType): string {
	switch (t.k) {
		case "int":
		case "float":
			return t.name;
		case "void":
			return "void";
		case "string":
			return "string";
		case "ptr": {
			const inner = typeName(t.to);
			return inner.endsWith("*") ? `${inner}*` : `${inner} *`;
		}
		case "stack":
			return "stack";
		case "symaddr":
			return t.user ? "_usymaddr" : "_symaddr";
		case "sou":
			return t.name;
		case "dynamic":
			return "<DYN>";
	}
}

export const isInteger = (t: DType): t is IntType => t.k === "int";
/** D's scalar types: integers and pointers (usable as conditions and with && || !). */
export const isScalar = (t: DType) => t.k === "int" || t.k === "ptr";
/** Strings and char pointers compare and assign as strings. */
export const isStringLike = (t: DType) => t.k === "string" || (t.k === "ptr" && t.to.k === "int" && t.to.size === 1);

/** The type of `l op r` for arithmetic and bitwise operators (dt_type_promote). */
export function promote(l: IntType, r: IntType): IntType {
	const rank = (t: IntType) => t.size * 8 + (t.signed ? 0 : 1);
	return rank(r) > rank(l) ? r : l;
}

/** Types are the same for declarations and aggregation keys. */
export function sameType(a: DType, b: DType): boolean {
	if (a.k !== b.k) return false;
	switch (a.k) {
		case "int": {
			const o = b as IntType;
			return a.size === o.size && a.signed === o.signed;
		}
		case "ptr":
			return sameType(a.to, (b as { to: DType }).to);
		case "symaddr":
			return a.user === (b as { user: boolean }).user;
		case "sou":
		case "float":
			return a.name === (b as { name: string }).name;
		default:
			return true;
	}
}

/** The size in bytes D gives a type (sizeof), or undefined when it has none. */
export function sizeOf(t: DType, strsize: number): number | undefined {
	switch (t.k) {
		case "int":
			return t.size;
		case "ptr":
			return 8;
		case "string":
			return strsize;
		case "float":
			return t.name === "float" ? 4 : t.name === "double" ? 8 : 16;
		case "symaddr":
			return 8;
		default:
			return undefined;
	}
}

function kernelTypes(what: string, pos: Position): DTypeError {
	return new DTypeError(
		pos,
		`${what} needs the kernel's C type information, which dtop does not read; use integer and string types`,
		UNSUPPORTED,
	);
}

/** Resolve a written type name (DTrace's dt_decl rules for the base integer words). */
export function resolveType(t: TypeName): DType {
	const words = t.words.filter((w) => !QUALIFIERS.has(w));
	let base = resolveBase(words, t);
	for (let i = 0; i < t.pointers; i++) base = { k: "ptr", to: base };
	return base;
}

function resolveBase(words: string[], t: TypeName): DType {
	const pos = t.pos;
	if (words.length === 0) return INT; // `self x;`: C's implicit int
	const first = words[0]!;
	if (first === "struct" || first === "union" || first === "enum") {
		const name = `${first} ${words[1] ?? ""}`.trim();
		if (t.pointers === 0 && first !== "enum") throw kernelTypes(`'${name}'`, pos);
		return { k: "sou", name };
	}
	if (words.length === 1) {
		if (first === "string") return STRING;
		if (first === "void") return VOID;
		if (first === "float" || first === "double") return { k: "float", name: first };
		const td = typedef(first);
		if (td) return td;
	}
	let signed: boolean | undefined;
	let longs = 0;
	let short = false;
	let core: string | undefined;
	for (const w of words) {
		if (w === "signed" || w === "unsigned") {
			if (signed !== undefined) throw new DTypeError(pos, "invalid type combination", "D_DECL_COMBO");
			signed = w === "signed";
		} else if (w === "long") longs++;
		else if (w === "short") short = true;
		else if (w === "char" || w === "int" || w === "void" || w === "double" || w === "float" || w === "_Bool") {
			if (core !== undefined) throw new DTypeError(pos, "invalid type combination", "D_DECL_COMBO");
			core = w;
		} else if (w === "string" || isTypedefName(w)) {
			throw new DTypeError(pos, "invalid type combination", "D_DECL_COMBO");
		} else {
			throw new DTypeError(pos, `failed to resolve type ${words.join(" ")}: Unknown type name`, "D_UNKNOWN");
		}
	}
	if (core === "void") {
		if (signed !== undefined || longs || short)
			throw new DTypeError(
				pos,
				"invalid type declaration: attributes may not be used with void type",
				"D_DECL_VOIDATTR",
			);
		return VOID;
	}
	if (core === "char" && (longs || short))
		throw new DTypeError(
			pos,
			"invalid type declaration: short and long may not be used with char type",
			"D_DECL_CHARATTR",
		);
	if (core === "float" || core === "double") {
		if (signed !== undefined)
			throw new DTypeError(
				pos,
				"invalid type declaration: signed and unsigned may only be used with integer type",
				"D_DECL_SIGNINT",
			);
		return { k: "float", name: longs ? `long ${core}` : core };
	}
	if (short && longs)
		throw new DTypeError(pos, `failed to resolve type ${words.join(" ")} : Unknown type name`, "D_UNKNOWN");
	if (longs > 2) throw new DTypeError(pos, "invalid type combination", "D_DECL_COMBO");
	const u = signed === false ? "unsigned " : "";
	if (core === "char") return signed === undefined ? CHAR : BASE[`${signed ? "signed" : "unsigned"} char`]!;
	if (core === "_Bool") return BASE._Bool!;
	const size = short ? "short" : longs === 2 ? "long long" : longs === 1 ? "long" : "int";
	return BASE[`${u}${size}`]!;
}

/** Wrap a value to a type's width, sign- or zero-extending to 64 bits (casts, stores). */
export function convert(value: bigint, to: IntType): bigint {
	const bits = BigInt(to.size * 8);
	return to.signed ? BigInt.asIntN(Number(bits), value) : BigInt.asUintN(Number(bits), value);
}
