// The subset's narrowing of what the program's C types decide at compile time
// (subset.ts calls these while the parser runs, with the program's registry active):
// enum constants become integers, sizeof and offsetof constants, a typedef in a cast
// its D type, `v.m.n` on a struct or union variable a FieldExpr (the member's place
// in the variable and its type), a struct assignment a copy of its bytes, and a
// struct used as an associative array's key the bytes of it.

import { DSyntaxError, DTypeError, NO_POS, type Position } from "../errors.ts";
import { evaluate } from "../eval.ts";
import type { AssignStmt, Expr, Statement, TypeName } from "../syntax.ts";
import { INT, type IntType, UINT64 } from "../types.ts";
import { kernelRooted, kernelStruct, kernelTypeSize, kernelVariable } from "./kernel.ts";
import { type CType, cTypeName, findMember, sizeOfC } from "./model.ts";
import type { FieldExpr } from "./nodes.ts";
import { activeCTypes, type CTypes } from "./registry.ts";

type Scope = FieldExpr["scope"];

/** Where a struct variable, or a member of one, lives. */
interface Place {
	scope: Scope;
	name: string;
	varSize: number;
	offset: number;
	bitOffset?: number;
	bits?: number;
	type: CType;
	text: string;
}

const roundUp8 = (n: number) => Math.ceil(n / 8) * 8;

function replace(target: object, by: object): void {
	for (const k of Object.keys(target)) delete (target as Record<string, unknown>)[k];
	Object.assign(target, by);
}

function place(e: Expr, reg: CTypes): Place | undefined {
	if (e.kind === "ident" || e.kind === "this") {
		const scope: Scope = e.kind === "ident" ? "global" : "this";
		const t = reg.varType(scope, e.name);
		if (!t) return undefined;
		const text = scope === "this" ? `this->${e.name}` : e.name;
		return { scope, name: e.name, varSize: roundUp8(Math.max(1, sizeOfC(t))), offset: 0, type: t, text };
	}
	if (e.kind === "index" && !kernelRooted(e)) {
		// An element of an array member (`s.rlim[7]`): a constant subscript, checked against the bound.
		const b = e.base.kind === "member" ? place(e.base, reg) : undefined;
		if (b?.type.k !== "array" || e.keys.length !== 1) return undefined;
		const key = e.keys[0]!;
		const c = evaluate(key);
		if (!c)
			throw new DTypeError(
				key.pos,
				`${b.text}[...] needs a constant subscript: dtop reads elements of arrays in variables only at constant indexes`,
			);
		const i = c.type.signed ? BigInt.asIntN(64, c.value) : c.value;
		if (i < 0n || i >= BigInt(b.type.n))
			throw new DTypeError(key.pos, `index outside array bounds: ${i}, max is ${b.type.n}`, "D_ARR_BOUNDS");
		const size = sizeOfC(b.type.of);
		return { ...b, offset: b.offset + Number(i) * size, type: b.type.of, text: `${b.text}[${i}]` };
	}
	if (e.kind !== "member" || kernelRooted(e)) return undefined;
	const b = place(e.base, reg);
	if (!b) return undefined;
	if (e.op === "->" && b.type.k === "ptr")
		throw new DTypeError(
			e.pos,
			`operator -> cannot be applied to pointer to type "${cTypeName(b.type.to)}"; must be applied to a struct or union pointer`,
			"D_OP_SOU",
		);
	if (e.op === "->")
		throw new DTypeError(
			e.pos,
			`operator -> must be applied to a pointer; ${b.text} is a ${cTypeName(b.type)}: use '.'`,
			"D_OP_PTR",
			{ dtrace: "operator -> must be applied to a pointer" },
		);
	if (b.type.k !== "sou")
		throw new DTypeError(
			e.pos,
			`operator . cannot be applied to type "${cTypeName(b.type)}"; must be applied to a struct or union`,
			"D_OP_SOU",
		);
	const m = findMember(b.type.s, e.member);
	if (!m) throw new DTypeError(e.pos, `${cTypeName(b.type)} has no member ${e.member}`, "D_MEMBER_NAME");
	const p: Place = { ...b, offset: b.offset + m.offset, type: m.type, text: `${b.text}.${e.member}` };
	delete p.bitOffset;
	delete p.bits;
	if (m.bitOffset !== undefined) {
		p.bitOffset = b.offset * 8 + m.bitOffset;
		p.bits = m.bits!;
	}
	return p;
}

/** The D integer type a scalar member reads as. */
function scalarType(t: CType): IntType | undefined {
	if (t.k === "int") return t.t;
	if (t.k === "enum") return INT;
	if (t.k === "ptr") return { k: "int", name: cTypeName(t), size: 8, signed: false };
	return undefined;
}

function field(p: Place, type: IntType, pos: Position): FieldExpr {
	const f: FieldExpr = {
		kind: "field",
		scope: p.scope,
		name: p.name,
		varSize: p.varSize,
		offset: p.offset,
		type,
		text: p.text,
		pos,
	};
	if (p.bits !== undefined) {
		f.bitOffset = p.bitOffset!;
		f.bits = p.bits;
	}
	return f;
}

/** An enum constant named by an identifier becomes its value. */
export function enumConstant(e: Extract<Expr, { kind: "ident" }>): boolean {
	const c = activeCTypes()?.constants.get(e.name);
	if (!c) return false;
	const lit = { kind: "int" as const, value: c.value < 0n ? -c.value : c.value, pos: e.pos };
	replace(e, c.value < 0n ? { kind: "unary", op: "-", operand: lit, pos: e.pos } : lit);
	return true;
}

/** A struct or union variable named where a value is expected: refused with what to write instead. */
export function wholeStruct(e: Expr): void {
	const reg = activeCTypes();
	if (!reg || (e.kind !== "ident" && e.kind !== "this") || kernelVariable(e)) return;
	const p = place(e, reg);
	if (p && p.type.k !== "sou")
		throw new DTypeError(
			e.pos,
			`${p.text} is of type '${cTypeName(p.type)}': variables of that type can be declared (and measured with sizeof) but not used yet`,
		);
	if (p)
		throw new DTypeError(
			e.pos,
			`${p.text} is a ${cTypeName(p.type)}: use one of its members (${p.text}.member), assign it to another, or use it as a key`,
			"D_OP_SCALAR",
		);
}

/** `v.m` on a struct or union variable becomes its FieldExpr; false when `v` is none. */
export function memberToField(e: Extract<Expr, { kind: "member" | "index" }>): boolean {
	const reg = activeCTypes();
	if (!reg) return false;
	const p = place(e, reg);
	if (!p) return false;
	const t = scalarType(p.type);
	if (!t) {
		if (p.type.k === "sou")
			throw new DTypeError(
				e.pos,
				`${p.text} is a ${cTypeName(p.type)}: use one of its members, or assign it whole to another variable`,
				"D_OP_SCALAR",
			);
		throw new DTypeError(e.pos, `${p.text} is a ${cTypeName(p.type)}, which dtop cannot read as a value yet`);
	}
	replace(e, field(p, t, e.pos));
	return true;
}

/** An assignment's target that is a member (true: resolved); kernel memory is refused. */
export function fieldTarget(e: Expr, op: string, pos: Position): boolean {
	if ((e as { kind: string }).kind === "kmem" || (kernelRooted(e) && !kernelVariable(e)))
		throw new DSyntaxError(pos, `'${op}' cannot write kernel memory: D only reads it`, "D_OP_WRITE");
	return (
		(e as { kind: string }).kind === "field" ||
		((e.kind === "member" || (e.kind === "index" && e.base.kind === "member")) && memberToField(e))
	);
}

/** A written type as the registry resolves it, or undefined when no registry is active. */
function resolved(t: TypeName): CType | undefined {
	return activeCTypes()?.resolve(t);
}

/** A typedef or enum type in a cast becomes the D integer type it names. */
export function normalizeType(t: TypeName): void {
	const reg = activeCTypes();
	if (!reg?.declares(t)) return;
	const c = reg.resolve({ ...t, pointers: 0 });
	const s = scalarType(c);
	if (s && c.k !== "ptr") t.words = s.name.split(" ");
}

/** sizeof of a declared type, of a struct variable or member, or of a constant expression. */
export function sizeofC(e: Extract<Expr, { kind: "sizeof" }>): boolean {
	const reg = activeCTypes();
	if (!reg) return false;
	let size: number | undefined;
	if (e.type) {
		if (!reg.declares(e.type) && e.type.pointers === 0) {
			size = kernelTypeSize(e.type);
			if (size === undefined) return false;
		} else size = sizeOfC(resolved(e.type)!);
	} else if (e.operand) {
		const op = e.operand;
		const p = op.kind === "ident" || op.kind === "this" || op.kind === "member" ? place(op, reg) : undefined;
		if (op.kind === "string") size = Buffer.byteLength(op.value, "latin1") + 1;
		else if (p) {
			if (p.bits !== undefined) throw new DTypeError(e.pos, "cannot apply sizeof to a bit-field", "D_SIZEOF_BITFIELD");
			size = sizeOfC(p.type);
		} else {
			const scope = op.kind === "ident" ? "global" : op.kind === "this" || op.kind === "self" ? op.kind : undefined;
			const declared = scope && "name" in op ? reg.sizes.get(`${scope}:${op.name}`) : undefined;
			const v = declared === undefined ? evaluate(op) : undefined;
			if (declared === undefined && !v) return false;
			size = declared ?? v!.type.size;
		}
	}
	if (size === undefined) return false;
	if (size === 0) throw new DTypeError(e.pos, "cannot apply sizeof to an operand of unknown size", "D_SIZEOF_TYPE");
	replace(e, { kind: "int", value: BigInt(size), pos: e.pos });
	return true;
}

/** offsetof(type, member) of a declared struct or union. */
export function offsetofC(e: Extract<Expr, { kind: "offsetof" }>): boolean {
	const reg = activeCTypes();
	if (!reg) return false;
	const t = reg.resolve(e.type);
	if (t.k !== "sou" || !t.s.complete)
		throw new DTypeError(e.pos, "offsetof operand must be a struct or union type", "D_OFFSETOF_TYPE");
	const m = findMember(t.s, e.member);
	if (!m) throw new DTypeError(e.pos, `failed to determine offset of ${e.member}: Member name not found`, "D_UNKNOWN");
	if (m.bits !== undefined)
		throw new DTypeError(e.pos, `cannot take offset of a bit-field: ${e.member}`, "D_OFFSETOF_BITFIELD");
	replace(e, { kind: "int", value: BigInt(m.offset), pos: e.pos });
	return true;
}

/** The pieces (8, 4, 2, 1 bytes) a copy of `size` bytes moves. */
function chunks(size: number): { off: number; size: 1 | 2 | 4 | 8 }[] {
	const out: { off: number; size: 1 | 2 | 4 | 8 }[] = [];
	let off = 0;
	for (const w of [8, 4, 2, 1] as const)
		while (size - off >= w) {
			out.push({ off, size: w });
			off += w;
		}
	return out;
}

const UNSIGNED: Record<number, IntType> = {
	1: { k: "int", name: "uint8_t", size: 1, signed: false },
	2: { k: "int", name: "uint16_t", size: 2, signed: false },
	4: { k: "int", name: "uint32_t", size: 4, signed: false },
	8: UINT64,
};

function pieces(p: Place, size: number, pos: Position): FieldExpr[] {
	return chunks(size).map((c) => field({ ...p, offset: p.offset + c.off }, UNSIGNED[c.size]!, pos));
}

/**
 * `a = b` of structs or unions: a copy of the bytes, as an `if (1) { ... }` of
 * member-wide assignments. A variable first assigned a struct takes its type (DTrace's
 * implicit declaration). False when the assignment is not of a struct.
 */
export function structAssign(s: AssignStmt, restrict: (x: Expr) => void = () => {}): boolean {
	const reg = activeCTypes();
	if (!reg) return false;
	const value = s.value.kind === "ident" || s.value.kind === "this" || s.value.kind === "member" ? s.value : undefined;
	let from: { type: CType; text: string; pieces(size: number, pos: Position): Expr[] } | undefined;
	const p = value ? place(value, reg) : undefined;
	if (p) from = { type: p.type, text: p.text, pieces: (size, pos) => pieces(p, size, pos) as unknown as Expr[] };
	else {
		// A kernel struct by value (`*curthread`, `curthread->signal->rlim[7]`): its bytes read from the kernel.
		const k = kernelStruct(s.value, restrict);
		if (k)
			from = {
				type: k.type,
				text: k.text,
				pieces: (size) => chunks(size).map((c) => k.piece(c.off, c.size) as unknown as Expr),
			};
	}
	let to =
		s.target.kind === "ident" || s.target.kind === "this" || s.target.kind === "member"
			? place(s.target, reg)
			: undefined;
	if (!from || from.type.k !== "sou") {
		if (to && to.type.k === "sou")
			throw new DTypeError(s.opPos, `${to.text} is a ${cTypeName(to.type)}: it can only be assigned another one`);
		return false;
	}
	if (!to && (s.target.kind === "ident" || s.target.kind === "this")) {
		reg.declareVar(s.target.kind === "ident" ? "global" : "this", s.target.name, from.type, s.target.pos);
		to = place(s.target, reg)!;
	}
	if (!to)
		throw new DTypeError(
			s.opPos,
			`${from.text} is a ${cTypeName(from.type)}: it can only be assigned to a variable of that type`,
		);
	if (to.type.k !== "sou" || to.type.s !== from.type.s)
		throw new DTypeError(
			s.opPos,
			`operands have incompatible types: "${cTypeName(to.type)}" ${s.op} "${cTypeName(from.type)}"`,
			"D_OP_INCOMPAT",
		);
	if (s.op !== "=") throw new DTypeError(s.opPos, `operator ${s.op} cannot be applied to a ${cTypeName(to.type)}`);
	const size = sizeOfC(to.type);
	const src = from.pieces(size, s.value.pos);
	const body: Statement[] = pieces(to, size, s.pos).map((t, i) => ({
		kind: "assign",
		op: "=",
		target: t as unknown as Expr,
		value: src[i]!,
		pos: s.pos,
		opPos: s.opPos,
	}));
	replace(s, { kind: "if", cond: { kind: "int", value: 1n, pos: NO_POS }, body, otherwise: null, pos: s.pos });
	return true;
}

/** Keys of an associative array: a struct or union key becomes its bytes. */
export function expandKeys(keys: Expr[]): Expr[] {
	const reg = activeCTypes();
	if (!reg) return keys;
	return keys.flatMap((k) => {
		const p = k.kind === "ident" || k.kind === "this" || k.kind === "member" ? place(k, reg) : undefined;
		if (!p || p.type.k !== "sou") return [k];
		return pieces(p, sizeOfC(p.type), k.pos) as unknown as Expr[];
	});
}
