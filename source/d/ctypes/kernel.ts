// Pointers into kernel memory with the kernel's own types, read from its BTF
// (/sys/kernel/btf/vmlinux): `curthread` is a `struct task_struct *`, a cast such as
// `(struct file *)arg0` gives an integer a kernel type, and `->`, `.` and `*` walk
// members from there. Each chain becomes a KernelExpr (ast.ts) that the back end reads
// with bpf_probe_read_kernel, a failed read being DTrace's runtime error;
// `stringof(curthread->comm)` reads a kernel string.

import {
	describeType,
	findMember,
	findStruct,
	type KType,
	structMembers,
	vmlinuxBtf,
} from "../../../kernel/btf/index.ts";
import type { Expr as CoreExpr } from "../ast.ts";
import { DTypeError, type Position } from "../errors.ts";
import { evaluate } from "../eval.ts";
import type { Expr, TypeName } from "../syntax.ts";
import { QUALIFIERS } from "../types.ts";
import type { CType, Member, SouDef } from "./model.ts";
import type { KernelExpr } from "./nodes.ts";
import { activeCTypes } from "./registry.ts";

type Btf = ReturnType<typeof vmlinuxBtf>;

/** An expression whose value has a kernel type, or an object in kernel memory. */
type K = { v: Expr; t: KType; text: string } | { addr: Expr | null; offset: number; t: KType; text: string };

const isMem = (k: K): k is Extract<K, { addr: unknown }> => "addr" in k;

function btf(pos: Position): Btf {
	try {
		return vmlinuxBtf();
	} catch {
		throw new DTypeError(
			pos,
			"curthread and the kernel's types need the kernel's BTF (/sys/kernel/btf/vmlinux), which this kernel does not have",
		);
	}
}

function node(base: Expr | null, offset: number, read: boolean, t: KType, text: string, pos: Position): KernelExpr {
	const size = t.k === "int" ? t.size : 8;
	return {
		kind: "kmem",
		base: base as CoreExpr | null,
		offset,
		read,
		size,
		signed: t.k === "int" && t.signed,
		text,
		pos,
	};
}

/** `struct X *` written in a cast, when X is no type of this program. */
function kernelPointerType(e: Expr): { kind: "struct" | "union"; tag: string } | undefined {
	if (e.kind !== "cast" || e.type.pointers !== 1) return undefined;
	const w = e.type.words.filter((x) => !QUALIFIERS.has(x));
	if (w.length !== 2 || (w[0] !== "struct" && w[0] !== "union")) return undefined;
	if (activeCTypes()?.declares({ ...e.type, pointers: 0 })) return undefined;
	return { kind: w[0], tag: w[1]! };
}

type VarExpr = Extract<Expr, { kind: "self" | "this" | "ident" }>;

const isVar = (e: Expr): e is VarExpr => e.kind === "self" || e.kind === "this" || e.kind === "ident";

const varKey = (e: VarExpr) => `${e.kind === "ident" ? "global" : e.kind}:${e.name}`;

const varText = (e: VarExpr) => (e.kind === "ident" ? e.name : `${e.kind}->${e.name}`);

/**
 * The kernel pointer type of a variable: the one its first assignment gave it
 * (`this->t = curthread`), or its declaration's (`struct task_struct *t;`, the struct
 * being the kernel's).
 */
function variableType(e: VarExpr): KType | undefined {
	const reg = activeCTypes();
	if (!reg) return undefined;
	const known = reg.kernelVars.get(varKey(e));
	if (known) return known.type as KType;
	const c = reg.varType(e.kind === "ident" ? "global" : e.kind, e.name);
	if (c?.k !== "ptr" || c.to.k !== "sou" || c.to.s.complete || !c.to.s.tag) return undefined;
	let b: Btf;
	try {
		b = vmlinuxBtf();
	} catch {
		return undefined;
	}
	const id = findStruct(b, c.to.s.kind, c.to.s.tag);
	return id === undefined ? undefined : { k: "ptr", to: id, name: `${c.to.s.kind} ${c.to.s.tag} *` };
}

/** Does this variable hold a kernel pointer (so that it is a 64-bit value, not a struct)? */
export function kernelVariable(e: Expr): boolean {
	return isVar(e) && variableType(e) !== undefined;
}

/**
 * `v = <a kernel pointer>`: the variable keeps the pointer's type, so that `v->member`
 * reads through it later (DTrace types a variable by its first assignment). A later
 * assignment of another kernel pointer type is DTrace's D_OP_INCOMPAT.
 */
export function noteKernelAssignment(target: Expr, rhs: Expr, op: string, pos: Position): void {
	if (!isVar(target) || !kernelRooted(rhs)) return;
	const reg = activeCTypes();
	if (!reg) return;
	const k = walk(rhs, () => {});
	if (isMem(k) && k.t.k === "array") return; // a char array: a string
	if (isMem(k) && k.t.k === "sou") return; // a struct's copy (rewrite.ts)
	const v = value(k, rhs.pos);
	if (v.t.k !== "ptr") return;
	const prev = variableType(target);
	if (prev && prev.name !== v.t.name)
		throw new DTypeError(pos, `operands have incompatible types: "${prev.name}" ${op} "${v.t.name}"`, "D_OP_INCOMPAT");
	if (op !== "=") return;
	if (!prev) reg.kernelVars.set(varKey(target), { type: v.t, name: v.t.name });
}

/** Is `e` a chain rooted at curthread, at a cast to a kernel struct pointer or at a kernel pointer variable? */
export function kernelRooted(e: Expr): boolean {
	if (e.kind === "builtin") return e.name === "curthread";
	if (isVar(e)) return variableType(e) !== undefined;
	if (e.kind === "index") return kernelRooted(e.base);
	if (e.kind === "cast") return kernelPointerType(e) !== undefined;
	if (e.kind === "member") return kernelRooted(e.base);
	if (e.kind === "unary" && e.op === "*") return kernelRooted(e.operand);
	return false;
}

function structPtr(b: Btf, kind: "struct" | "union", tag: string, pos: Position): KType {
	const id = findStruct(b, kind, tag);
	if (id === undefined)
		throw new DTypeError(pos, `${kind} ${tag} is not a type of this kernel (its BTF has no such ${kind})`, "D_UNKNOWN");
	return { k: "ptr", to: id, name: `${kind} ${tag} *` };
}

function walk(e: Expr, restrict: (x: Expr) => void): K {
	const b = btf(e.pos);
	switch (e.kind) {
		case "builtin":
			return {
				v: node(null, 0, false, { k: "other", size: 8, name: "" }, "curthread", e.pos),
				t: structPtr(b, "struct", "task_struct", e.pos),
				text: "curthread",
			};
		case "self":
		case "this":
		case "ident":
			restrict(e);
			return { v: e, t: variableType(e)!, text: varText(e) };
		case "cast": {
			const p = kernelPointerType(e)!;
			restrict(e.operand);
			return { v: e.operand, t: structPtr(b, p.kind, p.tag, e.pos), text: `((${p.kind} ${p.tag} *)...)` };
		}
		case "unary": {
			const inner = value(walk(e.operand, restrict), e.pos);
			if (inner.t.k !== "ptr")
				throw new DTypeError(
					e.pos,
					`operator * cannot be applied to ${inner.text}, a ${inner.t.name}`,
					"D_DEREF_NONPTR",
				);
			if (inner.t.to === 0) throw new DTypeError(e.pos, "cannot dereference a pointer to void", "D_DEREF_VOID");
			return { addr: inner.v, offset: 0, t: describeType(b, inner.t.to), text: `*${inner.text}` };
		}
		case "member": {
			const inner = walk(e.base, restrict);
			let addr: Expr | null;
			let offset: number;
			let sou: KType;
			if (e.op === "->") {
				const v = value(inner, e.pos);
				if (v.t.k !== "ptr")
					throw new DTypeError(
						e.pos,
						`operator -> must be applied to a pointer; ${v.text} is a ${v.t.name}`,
						"D_OP_PTR",
					);
				addr = v.v;
				offset = 0;
				sou = describeType(b, v.t.to);
			} else {
				if (!isMem(inner))
					throw new DTypeError(
						e.pos,
						`operator . must be applied to a struct or union; ${inner.text} is a ${inner.t.name}`,
						"D_OP_SOU",
					);
				addr = inner.addr;
				offset = inner.offset;
				sou = inner.t;
			}
			const text = `${inner.text}${e.op}${e.member}`;
			if (sou.k !== "sou")
				throw new DTypeError(
					e.pos,
					`operator ${e.op} cannot be applied to type "${sou.name}"; must be applied to a struct or union`,
					"D_OP_SOU",
				);
			const m = findMember(b, sou.id, e.member);
			if (!m) throw new DTypeError(e.pos, `${sou.name} has no member ${e.member}`, "D_MEMBER_NAME");
			if (m.bits !== 0)
				throw new DTypeError(e.pos, `${text} is a bit-field of the kernel's; dtop does not read those yet`);
			return { addr, offset: offset + m.offset, t: describeType(b, m.type), text };
		}
		case "index": {
			const inner = walk(e.base, restrict);
			let elem: number;
			let addr: Expr | null;
			let offset = 0;
			let bound: number | undefined;
			if (isMem(inner) && inner.t.k === "array") {
				elem = inner.t.elem;
				addr = inner.addr;
				offset = inner.offset;
				bound = inner.t.n;
			} else {
				const v = value(inner, e.pos);
				if (v.t.k !== "ptr")
					throw new DTypeError(
						e.pos,
						`operator [ ] must be applied to an array or a pointer; ${v.text} is a ${v.t.name}`,
						"D_OP_ARRPTR",
					);
				if (v.t.to === 0) throw new DTypeError(e.pos, "cannot dereference a pointer to void", "D_DEREF_VOID");
				elem = v.t.to;
				addr = v.v;
			}
			if (e.keys.length !== 1)
				throw new DTypeError(e.pos, `${inner.text} takes one subscript, not ${e.keys.length}`, "D_ARR_BADREF");
			const t = describeType(b, elem);
			const size = t.k === "int" ? t.size : t.k === "ptr" ? 8 : t.size;
			const key = e.keys[0]!;
			const c = evaluate(key);
			const text = `${inner.text}[...]`;
			if (c) {
				const i = c.type.signed ? BigInt.asIntN(64, c.value) : c.value;
				// A zero-length (flexible) array has no bound to check.
				if (bound !== undefined && bound > 0 && (i < 0n || i >= BigInt(bound)))
					throw new DTypeError(key.pos, `index outside array bounds: ${i}, max is ${bound}`, "D_ARR_BOUNDS");
				return { addr, offset: offset + Number(i) * size, t, text };
			}
			restrict(key);
			const start = node(addr, offset, false, { k: "other", size: 8, name: "" }, inner.text, e.pos) as unknown as Expr;
			const scaled: Expr = {
				kind: "binary",
				op: "*",
				left: key,
				right: { kind: "int", value: BigInt(size), pos: key.pos },
				pos: key.pos,
			} as Expr;
			return { addr: { kind: "binary", op: "+", left: start, right: scaled, pos: e.pos } as Expr, offset: 0, t, text };
		}
		default:
			throw new DTypeError(e.pos, "not a kernel pointer expression");
	}
}

/** The value of `k` (a scalar member read, an array's address). */
function value(k: K, pos: Position): Extract<K, { v: unknown }> {
	if (!isMem(k)) return k;
	const t = k.t;
	if (t.k === "int" || t.k === "ptr") return { v: node(k.addr, k.offset, true, t, k.text, pos), t, text: k.text };
	if (t.k === "array")
		return {
			v: node(k.addr, k.offset, false, t, k.text, pos),
			t: { k: "ptr", to: t.elem, name: `${t.name} *` },
			text: k.text,
		};
	throw new DTypeError(pos, `${k.text} is a ${t.name}: use one of its members`, "D_OP_SCALAR");
}

function replace(target: object, by: object): void {
	for (const key of Object.keys(target)) delete (target as Record<string, unknown>)[key];
	Object.assign(target, by);
}

/** A cast to a kernel struct pointer, alone: the value is a 64-bit address. */
export function kernelCast(e: Extract<Expr, { kind: "cast" }>, restrict: (x: Expr) => void): boolean {
	if (!kernelPointerType(e)) return false;
	restrict(e.operand);
	e.type = { kind: "typename", words: ["uintptr_t"], pointers: 0, pos: e.type.pos };
	return true;
}

/** A member chain into kernel memory becomes its KernelExpr; false when it is none. */
export function kernelMember(e: Expr, restrict: (x: Expr) => void): boolean {
	if (!kernelRooted(e) || e.kind === "cast") return false;
	const k = walk(e, restrict);
	if (isMem(k) && k.t.k === "array") {
		// A char array is a string where D expects one (printf's %s, trace()).
		const elem = describeType(btf(e.pos), k.t.elem);
		if (elem.k === "int" && elem.size === 1) {
			replace(e, { ...node(k.addr, k.offset, false, k.t, k.text, e.pos), str: k.t.size });
			return true;
		}
	}
	const v = value(k, e.pos);
	if (v.v.kind !== "kmem") throw new DTypeError(e.pos, `${v.text} is not a value dtop can read`);
	replace(e, { ...v.v, text: v.text });
	return true;
}

/** stringof of a kernel char array or char pointer: the string in kernel memory. */
export function kernelString(e: Extract<Expr, { kind: "stringof" }>, restrict: (x: Expr) => void): boolean {
	if (!kernelRooted(e.operand)) return false;
	const k = walk(e.operand, restrict);
	const t = k.t;
	let str: number;
	let v: KernelExpr;
	if (isMem(k) && t.k === "array") {
		str = t.size;
		v = node(k.addr, k.offset, false, t, k.text, e.pos);
	} else {
		const val = value(k, e.pos);
		if (val.t.k !== "ptr" || val.v.kind !== "kmem")
			throw new DTypeError(e.pos, `stringof cannot be applied to ${k.text}, a ${t.name}`);
		str = 1 << 20;
		v = val.v as KernelExpr;
	}
	replace(e, { ...v, str, text: `stringof(${k.text})` });
	return true;
}

const ctypes = new WeakMap<Btf, Map<number, CType>>();

/**
 * A kernel type as the program's C types (model.ts) have it, for a struct copied into a
 * variable: integers keep their names, pointers are 64-bit values, arrays and nested
 * structs keep their layout; bit-fields and what D cannot read are left out.
 */
function asCType(b: Btf, id: number): CType {
	let cache = ctypes.get(b);
	if (!cache) {
		cache = new Map();
		ctypes.set(b, cache);
	}
	const hit = cache.get(id);
	if (hit) return hit;
	const t = describeType(b, id);
	let c: CType;
	switch (t.k) {
		case "int":
			c = {
				k: "int",
				t: { k: "int", name: t.name || `${t.signed ? "" : "u"}int${t.size * 8}_t`, size: t.size, signed: t.signed },
			};
			break;
		case "ptr":
			c = { k: "ptr", to: { k: "void" } };
			break;
		case "array":
			c = { k: "array", of: asCType(b, t.elem), n: t.n };
			break;
		case "sou": {
			const [kind, tag] = t.name.includes(" ") ? t.name.split(" ", 2) : [t.union ? "union" : "struct", t.name];
			const def: SouDef = {
				kind: t.union ? "union" : "struct",
				tag: tag ?? kind!,
				members: [],
				size: t.size,
				align: 8,
				complete: false,
			};
			c = { k: "sou", s: def };
			cache.set(id, c);
			def.members = structMembers(b, t.id)
				.filter((m) => m.bits === 0)
				.map((m): Member => ({ name: m.name, type: asCType(b, m.type), offset: m.offset }));
			def.complete = true;
			return c;
		}
		default:
			c = { k: "array", of: { k: "int", t: { k: "int", name: "uint8_t", size: 1, signed: false } }, n: t.size };
	}
	cache.set(id, c);
	return c;
}

/** A kernel struct or union as a value (`*curthread`, `curthread->signal->rlim[7]`): its type and its bytes. */
export interface KernelStruct {
	type: CType;
	text: string;
	/** A read of `size` bytes at `offset` in it. */
	piece(offset: number, size: 1 | 2 | 4 | 8): KernelExpr;
}

/** `e` as a kernel struct value, or undefined when it is none. */
export function kernelStruct(e: Expr, restrict: (x: Expr) => void): KernelStruct | undefined {
	if (!kernelRooted(e) || isVar(e) || e.kind === "cast" || e.kind === "builtin") return undefined;
	const probe = walk(e, () => {});
	if (!isMem(probe) || probe.t.k !== "sou") return undefined;
	const k = walk(e, restrict) as Extract<K, { addr: unknown }>;
	const type = asCType(btf(e.pos), (k.t as Extract<KType, { k: "sou" }>).id);
	return {
		type,
		text: k.text,
		piece: (offset, size) =>
			node(k.addr, k.offset + offset, true, { k: "int", size, signed: false, name: "" }, k.text, e.pos),
	};
}

/** sizeof (struct X) of a struct or union of the kernel's (one this program does not define). */
export function kernelTypeSize(t: TypeName): number | undefined {
	const w = t.words.filter((x) => !QUALIFIERS.has(x));
	if (t.pointers !== 0 || w.length !== 2 || (w[0] !== "struct" && w[0] !== "union")) return undefined;
	let b: Btf;
	try {
		b = vmlinuxBtf();
	} catch {
		return undefined;
	}
	const id = findStruct(b, w[0], w[1]!);
	if (id === undefined) return undefined;
	const k = describeType(b, id);
	return k.k === "sou" ? k.size : undefined;
}
