// The reference evaluator of D's integer expressions. A value is what a 64-bit BPF
// register holds (two's complement, in [0, 2^64)) together with its D type; the rules
// are those of DTrace for Linux's code generator (dt_cg.c) and type checker
// (dt_parser.c):
//
// - a constant's type comes from its value, radix and suffix (int, unsigned int, long,
//   unsigned long, long long, unsigned long long, the first that holds it);
// - + - * & | ^ wrap at 64 bits and take the promoted type (the operand of higher
//   rank, rank = bits + unsigned; there is no promotion to int); nothing is truncated
//   to the type's width until a cast (or a store into a narrower variable);
// - / and % divide as signed (truncating toward zero) when the promoted type is
//   signed, unsigned otherwise; INT64_MIN / -1 is INT64_MIN, INT64_MIN % -1 is 0 (what
//   DTrace's BPF sequence computes); a constant zero divisor is a compile-time error;
// - << and >> keep the left operand's type, shift by the count modulo 64 (as BPF does)
//   and >> is arithmetic when that type is signed;
// - comparisons are signed when the promoted type is signed, and give int 0 or 1, as
//   do ! && || ^^;
// - a cast to a narrower type, or between signed and unsigned of one size, keeps the
//   low bits and sign- or zero-extends them; a cast to a wider type changes nothing
//   unless it goes from signed to a wider unsigned type (then the value is cut to it).
//
// Where DTrace's constant folder disagrees with its own code generator (it shifts right
// logically whatever the type and masks a negated unsigned constant to its width), this
// follows the code generator: that is what a program computes when the operands are not
// constants, and what dtop's BPF is tested against.

import { DTypeError, type Position } from "./errors.ts";
import type { Expr, IntLiteral } from "./syntax.ts";
import {
	INT,
	type IntType,
	isInteger,
	LONG,
	LONGLONG,
	promote,
	resolveType,
	SIZE_T,
	sizeOf,
	UINT,
	ULONG,
	ULONGLONG,
} from "./types.ts";

export interface Value {
	/** The 64-bit register, in [0, 2^64). */
	value: bigint;
	type: IntType;
}

const MASK = (1n << 64n) - 1n;
const u64 = (v: bigint) => v & MASK;

/** The value as its type reads it: the low bits of the type's width, sign-extended if signed. */
export function interpret(v: Value): bigint {
	const bits = v.type.size * 8;
	return v.type.signed ? BigInt.asIntN(bits, v.value) : BigInt.asUintN(bits, v.value);
}

/** The register read as a signed (or unsigned) 64-bit number. */
export function asSigned(v: bigint): bigint {
	return BigInt.asIntN(64, v);
}

const LITERAL_TYPES: readonly [IntType, bigint][] = [
	[INT, 0x7fffffffn],
	[UINT, 0xffffffffn],
	[LONG, 0x7fffffffffffffffn],
	[ULONG, 0xffffffffffffffffn],
	[LONGLONG, 0x7fffffffffffffffn],
	[ULONGLONG, 0xffffffffffffffffn],
];

/** D's type of an integer constant (dt_node_int): the first type of its series that holds it. */
export function literalType(lit: Pick<IntLiteral, "value" | "radix" | "suffix" | "pos">): IntType {
	const suffix = lit.suffix ?? "";
	// DTrace counts a constant as decimal unless its first digit is 0, and only a lower-case
	// u that comes first in the suffix keeps a hex or octal constant signed-or-unsigned.
	const decimal = lit.radix === undefined && lit.value !== 0n;
	const step = decimal || suffix[0] === "u" ? 2 : 1;
	let i = 0;
	for (const c of suffix) i += c === "u" || c === "U" ? 1 : 2;
	for (; i < LITERAL_TYPES.length; i += step) {
		const [type, limit] = LITERAL_TYPES[i]!;
		if (lit.value <= limit) return type;
	}
	throw new DTypeError(
		lit.pos,
		`integer constant 0x${lit.value.toString(16)} cannot be represented in any built-in integral type`,
		"D_INT_OFLOW",
	);
}

/** A cast of a register holding a `from` value to type `to` (dt_cg_typecast). */
export function cast(v: bigint, from: IntType, to: IntType): bigint {
	const n = (8 - to.size) * 8;
	if (n === 0) return v;
	if (to.size > from.size && (to.signed || !from.signed)) return v;
	if (to.size === from.size && to.signed === from.signed) return v;
	const bits = to.size * 8;
	return to.signed ? u64(BigInt.asIntN(bits, v)) : BigInt.asUintN(bits, v);
}

const bool = (b: boolean): Value => ({ value: b ? 1n : 0n, type: INT });

export function divisionByZero(pos: Position): DTypeError {
	return new DTypeError(pos, "expression contains division by zero", "D_DIV_ZERO");
}

/** Apply a binary operator to two values. */
export function binaryOp(op: string, l: Value, r: Value, pos: Position): Value {
	const t = promote(l.type, r.type);
	const sl = asSigned(l.value);
	const sr = asSigned(r.value);
	switch (op) {
		case "+":
			return { value: u64(l.value + r.value), type: t };
		case "-":
			return { value: u64(l.value - r.value), type: t };
		case "*":
			return { value: u64(l.value * r.value), type: t };
		case "/":
		case "%": {
			if (r.value === 0n) throw divisionByZero(pos);
			if (!t.signed) return { value: op === "/" ? l.value / r.value : l.value % r.value, type: t };
			return { value: u64(op === "/" ? sl / sr : sl % sr), type: t };
		}
		case "&":
			return { value: l.value & r.value, type: t };
		case "|":
			return { value: l.value | r.value, type: t };
		case "^":
			return { value: l.value ^ r.value, type: t };
		case "<<":
			return { value: u64(l.value << (r.value & 63n)), type: l.type };
		case ">>":
			return { value: l.type.signed ? u64(sl >> (r.value & 63n)) : l.value >> (r.value & 63n), type: l.type };
		case "==":
			return bool(l.value === r.value);
		case "!=":
			return bool(l.value !== r.value);
		case "<":
			return bool(t.signed ? sl < sr : l.value < r.value);
		case "<=":
			return bool(t.signed ? sl <= sr : l.value <= r.value);
		case ">":
			return bool(t.signed ? sl > sr : l.value > r.value);
		case ">=":
			return bool(t.signed ? sl >= sr : l.value >= r.value);
		case "&&":
			return bool(l.value !== 0n && r.value !== 0n);
		case "||":
			return bool(l.value !== 0n || r.value !== 0n);
		case "^^":
			return bool((l.value !== 0n) !== (r.value !== 0n));
		case ",":
			return r;
	}
	throw new RangeError(`not an integer operator: ${op}`);
}

/** Supplies the values of names the evaluator does not know (inlines, D library constants). */
export type Resolver = (e: Expr) => Value | undefined;

/**
 * The value of a constant integer expression, or undefined if it is not one (it reads
 * a variable, calls a function, or is a string). Throws D_DIV_ZERO for a division or
 * modulus by a constant zero and D_INT_OFLOW for a constant no type holds.
 */
export function evaluate(e: Expr, resolve?: Resolver, strsize = 256): Value | undefined {
	const ev = (x: Expr) => evaluate(x, resolve, strsize);
	switch (e.kind) {
		case "int":
			return { value: e.value, type: literalType(e) };
		case "unary": {
			const v = ev(e.operand);
			if (v === undefined) return undefined;
			switch (e.op) {
				case "-":
					return { value: u64(-v.value), type: v.type };
				case "+":
					return v;
				case "~":
					return { value: u64(~v.value), type: v.type };
				case "!":
					return bool(v.value === 0n);
				default:
					return undefined;
			}
		}
		case "binary": {
			// A constant zero divisor is an error even when the dividend is not constant.
			const r = ev(e.right);
			if ((e.op === "/" || e.op === "%") && r !== undefined && r.value === 0n) throw divisionByZero(e.pos);
			const l = ev(e.left);
			if (l === undefined || r === undefined) return undefined;
			return binaryOp(e.op, l, r, e.pos);
		}
		case "ternary": {
			const c = ev(e.cond);
			const a = ev(e.whenTrue);
			const b = ev(e.whenFalse);
			if (c === undefined || a === undefined || b === undefined) return undefined;
			const t = promote(a.type, b.type);
			return { value: c.value !== 0n ? a.value : b.value, type: t };
		}
		case "cast": {
			const v = ev(e.operand);
			if (v === undefined) return undefined;
			const to = resolveType(e.type);
			if (!isInteger(to)) return undefined;
			return { value: cast(v.value, v.type, to), type: to };
		}
		case "sizeof": {
			if (e.type) {
				const size = sizeOf(resolveType(e.type), strsize);
				return size === undefined ? undefined : { value: BigInt(size), type: SIZE_T };
			}
			const v = ev(e.operand!);
			return v === undefined ? resolve?.(e) : { value: BigInt(v.type.size), type: SIZE_T };
		}
		default:
			return resolve?.(e);
	}
}

/** The value of a constant expression as its type reads it (signed or not), or undefined. */
export function constantOf(e: Expr, resolve?: Resolver): bigint | undefined {
	const v = evaluate(e, resolve);
	return v === undefined ? undefined : interpret(v);
}
