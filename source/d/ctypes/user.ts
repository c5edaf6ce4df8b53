// User memory read through the program's own C types: `*(int *)copyin(addr, 4)`,
// `((struct foo *)copyin(addr, sizeof (struct foo)))->member`, a member's array
// element or a char array member as a string, and a this-> or self-> variable
// assigned such a cast (`this->f = (struct foo *)copyin(arg0, sizeof (struct foo));
// this->f->a`). DTrace copies the bytes into scratch memory and reads them there;
// dtop reads each member straight from the user address (bpf_probe_read_user, or
// bpf_copy_from_user in a sleepable program), which gives the same bytes within a
// firing without the copy. A member past the bytes copyin() was asked for is refused
// when the size is a constant; a read that fails is DTrace's runtime error at that
// address (the member's), as a failed copyin() is.

import type { Expr as CoreExpr } from "../ast.ts";
import { DTypeError, type Position } from "../errors.ts";
import { evaluate } from "../eval.ts";
import type { Expr } from "../syntax.ts";
import { type CType, cTypeName, findMember, sizeOfC } from "./model.ts";
import type { KernelExpr } from "./nodes.ts";
import { activeCTypes } from "./registry.ts";
import { sizeofC } from "./rewrite.ts";

/** A user pointer: the address, the bytes copyin() copies (when constant) and the pointee's type. */
interface UserPtr {
	addr: Expr;
	size: number | undefined;
	to: CType;
	text: string;
}

/** An object in user memory: at `addr` + `offset`, of type `t`. */
interface UserMem {
	addr: Expr;
	offset: number;
	t: CType;
	limit: number | undefined;
	text: string;
}

type VarExpr = Extract<Expr, { kind: "self" | "this" | "ident" }>;

const isVar = (e: Expr): e is VarExpr => e.kind === "self" || e.kind === "this" || e.kind === "ident";

const varKey = (e: VarExpr) => `${e.kind === "ident" ? "global" : e.kind}:${e.name}`;

/** Variables assigned a user pointer cast, by `this:x` / `self:x` / `global:x` (per program). */
const userVars = new WeakMap<object, Map<string, Omit<UserPtr, "addr" | "text">>>();

function vars(): Map<string, Omit<UserPtr, "addr" | "text">> | undefined {
	const reg = activeCTypes();
	if (!reg) return undefined;
	let m = userVars.get(reg);
	if (!m) {
		m = new Map();
		userVars.set(reg, m);
	}
	return m;
}

/** `(T *)copyin(addr, n)` with T a type of this program (or one of D's integer types). */
function castOfCopyin(e: Expr): UserPtr | undefined {
	if (e.kind !== "cast" || e.type.pointers < 1) return undefined;
	const op = e.operand;
	if (op.kind !== "call" || op.fn !== "copyin" || op.args.length !== 2) return undefined;
	const reg = activeCTypes();
	if (!reg) return undefined;
	const w = e.type.words;
	const sou = w[0] === "struct" || w[0] === "union";
	// A struct this program does not define is the kernel's (kernel.ts) or unknown.
	if (sou && !reg.declares({ ...e.type, pointers: 0 })) return undefined;
	let t: CType;
	try {
		t = reg.resolve(e.type);
	} catch {
		return undefined;
	}
	if (t.k !== "ptr" || t.to.k === "void" || t.to.k === "string" || t.to.k === "float") return undefined;
	const len = op.args[1]!;
	if (len.kind === "sizeof") sizeofC(len);
	let n: ReturnType<typeof evaluate>;
	try {
		n = evaluate(len);
	} catch {
		n = undefined;
	}
	return {
		addr: op.args[0]!,
		size: n ? Number(n.value) : undefined,
		to: t.to,
		text: `((${cTypeName(t)})copyin(...))`,
	};
}

function pointerOf(e: Expr): UserPtr | undefined {
	const c = castOfCopyin(e);
	if (c) return c;
	if (!isVar(e)) return undefined;
	const v = vars()?.get(varKey(e));
	return v && { ...v, addr: e, text: e.kind === "ident" ? e.name : `${e.kind}->${e.name}` };
}

/** Is `e` a member, element or dereference of a user pointer cast (or such a variable)? */
function userRooted(e: Expr): boolean {
	if (e.kind === "member") return e.op === "->" ? pointerOf(e.base) !== undefined : userRooted(e.base);
	if (e.kind === "unary" && e.op === "*") return pointerOf(e.operand) !== undefined;
	if (e.kind === "index") return pointerOf(e.base) !== undefined || userRooted(e.base);
	return false;
}

function fromPointer(p: UserPtr): UserMem {
	return { addr: p.addr, offset: 0, t: p.to, limit: p.size, text: p.text };
}

function walk(e: Expr, restrict: (x: Expr) => void): UserMem {
	switch (e.kind) {
		case "unary":
			return fromPointer(pointerOf(e.operand)!);
		case "member": {
			let m: UserMem;
			if (e.op === "->") m = fromPointer(pointerOf(e.base)!);
			else {
				m = walk(e.base, restrict);
			}
			if (m.t.k !== "sou")
				throw new DTypeError(
					e.pos,
					`operator ${e.op} cannot be applied to type "${cTypeName(m.t)}"; must be applied to a struct or union`,
					"D_OP_SOU",
				);
			const f = findMember(m.t.s, e.member);
			if (!f) throw new DTypeError(e.pos, `${cTypeName(m.t)} has no member ${e.member}`, "D_MEMBER_NAME");
			if (f.bits !== undefined)
				throw new DTypeError(
					e.pos,
					`${m.text}${e.op}${e.member} is a bit-field in user memory, which dtop does not read yet`,
				);
			return { ...m, offset: m.offset + f.offset, t: f.type, text: `${m.text}${e.op}${e.member}` };
		}
		case "index": {
			let m: UserMem;
			const p = pointerOf(e.base);
			let bound: number | undefined;
			if (p) {
				m = fromPointer(p);
			} else {
				const inner = walk(e.base, restrict);
				if (inner.t.k !== "array")
					throw new DTypeError(
						e.pos,
						`operator [ ] must be applied to an array or a pointer; ${inner.text} is a ${cTypeName(inner.t)}`,
						"D_OP_ARRPTR",
					);
				bound = inner.t.n;
				m = { ...inner, t: inner.t.of };
			}
			if (e.keys.length !== 1)
				throw new DTypeError(e.pos, `${m.text} takes one subscript, not ${e.keys.length}`, "D_ARR_BADREF");
			const size = sizeOfC(m.t);
			const key = e.keys[0]!;
			const c = evaluate(key);
			const text = `${m.text}[...]`;
			if (c) {
				const i = c.type.signed ? BigInt.asIntN(64, c.value) : c.value;
				if (bound !== undefined && (i < 0n || i >= BigInt(bound)))
					throw new DTypeError(key.pos, `index outside array bounds: ${i}, max is ${bound}`, "D_ARR_BOUNDS");
				return { ...m, offset: m.offset + Number(i) * size, text };
			}
			const start: Expr = m.offset
				? ({
						kind: "binary",
						op: "+",
						left: m.addr,
						right: { kind: "int", value: BigInt(m.offset), pos: e.pos },
						pos: e.pos,
					} as Expr)
				: m.addr;
			const scaled = {
				kind: "binary",
				op: "*",
				left: key,
				right: { kind: "int", value: BigInt(size), pos: key.pos },
				pos: key.pos,
			} as Expr;
			// The bytes copied cannot be checked against an index known only at run time.
			return {
				addr: { kind: "binary", op: "+", left: start, right: scaled, pos: e.pos } as Expr,
				offset: 0,
				t: m.t,
				limit: undefined,
				text,
			};
		}
		default:
			throw new DTypeError(e.pos, "not a user pointer expression");
	}
}

function replace(target: object, by: object): void {
	for (const key of Object.keys(target)) delete (target as Record<string, unknown>)[key];
	Object.assign(target, by);
}

function within(m: UserMem, size: number, pos: Position): void {
	if (m.limit !== undefined && m.offset + size > m.limit)
		throw new DTypeError(
			pos,
			`${m.text} reads bytes ${m.offset} to ${m.offset + size - 1}, past the ${m.limit} bytes copyin() copies`,
			"D_UNKNOWN",
		);
}

function userNode(m: UserMem, pos: Position): KernelExpr {
	const t = m.t;
	if (t.k === "array" && t.of.k === "int" && t.of.t.size === 1) {
		within(m, t.n, pos);
		return { ...kmem(m, 8, false, false, pos), str: t.n };
	}
	if (t.k === "int" || t.k === "enum" || t.k === "ptr") {
		const size = sizeOfC(t) as 1 | 2 | 4 | 8;
		within(m, size, pos);
		return kmem(m, size, true, t.k === "enum" || (t.k === "int" && t.t.signed), pos);
	}
	throw new DTypeError(
		pos,
		`${m.text} is a ${cTypeName(t)}: use one of its members or elements`,
		t.k === "sou" ? "D_OP_SCALAR" : "D_UNKNOWN",
	);
}

function kmem(m: UserMem, size: 1 | 2 | 4 | 8, read: boolean, signed: boolean, pos: Position): KernelExpr {
	return {
		kind: "kmem",
		base: m.addr as CoreExpr,
		offset: m.offset,
		read,
		size,
		signed,
		user: true,
		text: m.text,
		pos,
	};
}

/** A member, element or dereference through a user pointer becomes its read; false when it is none. */
export function userMember(e: Expr, restrict: (x: Expr) => void): boolean {
	if (!userRooted(e)) return false;
	const m = walk(e, restrict);
	restrict(m.addr);
	replace(e, userNode(m, e.pos));
	return true;
}

/** stringof() of a char array member in user memory. */
export function userString(e: Extract<Expr, { kind: "stringof" }>, restrict: (x: Expr) => void): boolean {
	if (!userRooted(e.operand)) return false;
	if (!userMember(e.operand, restrict)) return false;
	const n = e.operand as unknown as KernelExpr;
	if (n.str === undefined) throw new DTypeError(e.pos, `stringof cannot be applied to ${n.text}, not a char array`);
	replace(e, { ...n, text: `stringof(${n.text})` });
	return true;
}

/**
 * `v = (T *)copyin(addr, n)`: the variable becomes a pointer to T in user memory
 * (it holds the address; members read through it). Other assignments to it are
 * refused, since its members would then be read from whatever it holds.
 */
export function noteUserAssignment(target: Expr, rhs: Expr, op: string, pos: Position): void {
	if (!isVar(target)) return;
	const m = vars();
	if (!m) return;
	const p = castOfCopyin(rhs);
	const prev = m.get(varKey(target));
	if (!p) {
		if (prev && !(rhs.kind === "int" && rhs.value === 0n))
			throw new DTypeError(
				pos,
				`${target.kind === "ident" ? target.name : `${target.kind}->${target.name}`} holds a ${cTypeName({ k: "ptr", to: prev.to })} from copyin(): assign it only another such cast (or 0)`,
				"D_OP_INCOMPAT",
			);
		return;
	}
	if (op !== "=")
		throw new DTypeError(pos, `operator ${op} cannot be applied to a pointer from copyin()`, "D_OP_INCOMPAT");
	if (prev && prev.to !== p.to && cTypeName(prev.to) !== cTypeName(p.to))
		throw new DTypeError(
			pos,
			`operands have incompatible types: "${cTypeName({ k: "ptr", to: prev.to })}" = "${cTypeName({ k: "ptr", to: p.to })}"`,
			"D_OP_INCOMPAT",
		);
	if (!prev) m.set(varKey(target), { size: p.size, to: p.to });
	else if (prev.size !== p.size)
		prev.size = prev.size === undefined || p.size === undefined ? undefined : Math.min(prev.size, p.size);
}

/** A user pointer cast as a value: the user address it points at. */
export function userCast(e: Extract<Expr, { kind: "cast" }>, restrict: (x: Expr) => void): boolean {
	const p = castOfCopyin(e);
	if (!p) return false;
	restrict(p.addr);
	replace(e, {
		kind: "cast",
		type: { kind: "typename", words: ["uintptr_t"], pointers: 0, pos: e.pos },
		operand: p.addr,
		pos: e.pos,
	});
	return true;
}
