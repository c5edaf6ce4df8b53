// Lowers a D clause (source/d's AST) for one group of probes into the code
// generator's IR. Everything that depends only on which probe fired (probefunc,
// probename, ...) is decided here, in user space, and becomes a set of probe ids.
import { kernelMemberOffset } from "../../kernel/btf/index.ts";
import type { ArgPlan, BinOp, IntExpr, KeyField, LQuantize, StrExpr, VarRef } from "../../kernel/codegen/ir.ts";
import type { AggregateStmt, AssignStmt, Expr, LValue } from "../d/ast.ts";
import { varKey } from "../d/check.ts";
import { INT, type IntType, isInteger, promote, resolveType } from "../d/types.ts";
import type { IntSize } from "../output/model.ts";
import type { TraceProbe } from "../providers/types.ts";
import type { ContainerTable } from "./containers.ts";
import { execArgs, llquantizeParams, lowerBuiltinVar } from "./lower-builtins.ts";
import { containerCompare, containerExpr } from "./lower-container.ts";
import { fieldRef, lowerFieldLoad, lowerFieldStore } from "./lower-fields.ts";
import { selfStrRef, threadKey } from "./lower-self.ts";
import { isStringCall, lowerIntCall, lowerStrCall } from "./lower-strings.ts";
import { isSymCall, lowerSymKey, type SymFn } from "./lower-syms.ts";
import { castTo, typeOf, type VarTypes } from "./lower-types.ts";
import { exprIntType } from "./records.ts";

export { allStatements, clauseUsesStacks, forEachExpr, usesArgs } from "./clause-walk.ts";

export class LowerError extends Error {
	constructor(message: string) {
		super(message);
		this.name = "LowerError";
	}
}

const PROBE_STRINGS = new Set(["probeprov", "probemod", "probefunc", "probename"]);
/** The probe's name fields the probe* builtins name (records.ts reads them too). */
export type ProbeField = "provider" | "module" | "function" | "name";
export const PROBE_FIELD: Record<string, ProbeField> = {
	probeprov: "provider",
	probemod: "module",
	probefunc: "function",
	probename: "name",
};

/** How the consumer turns one key field's bytes back into a value. */
export type KeyDecode =
	/** An integer key, printed at its D type's width (DTrace's dt_print_datum). */
	| { k: "int"; size?: IntSize; signed?: boolean }
	| { k: "str"; size: number }
	| { k: "probe"; field: ProbeField }
	/** A container number (source/session/containers.ts), shown as its name. */
	| { k: "container" }
	/** `unwound`: the field is an id of the .eh_frame unwinder's stacks map, not of a stack-trace map. */
	| { k: "stack"; user: boolean; depth: number; unwound?: boolean }
	/** func() ufunc() & co (lower-syms.ts): the address, after the pid for user ones. */
	| { k: "sym"; fn: SymFn; user: boolean };

export interface LoweredAgg {
	name: string;
	fn: AggregateStmt["fn"];
	keys: KeyField[];
	decode: KeyDecode[];
	value?: IntExpr;
	lq?: LQuantize;
	/** quantize/lquantize/llquantize's weight argument. */
	weight?: IntExpr;
}

export interface LoweredStmt {
	agg?: LoweredAgg;
	tls?: { slot: number; value: IntExpr };
}

export interface LowerEnv {
	/** The probes this program serves (for probe-name predicates and keys). */
	probes: TraceProbe[];
	/** Slot number of a thread-local variable. */
	tlsSlot(name: string): number;
	/** Bytes a string takes, its NUL included: the strsize option + 1. */
	strsize: number;
	/** Global, clause-local and associative variables of the enabling. */
	vars?: VarEnv;
	/** The clause's enabled probe id (its record layout's id), for `epid`. */
	epid?: number;
	/** The container-name maps (made on first use). */
	containers?: () => ContainerTable;
}

export interface VarEnv {
	types: VarTypes;
	/** Variables (by varKey) whose values are strings. */
	strings: ReadonlySet<string>;
	/** Byte offset of a global scalar in the globals map's value. */
	global(name: string): number;
	/** Byte offset of a clause-local (of `size` bytes) in the buffer's clause-local area. */
	local(name: string, size: number): number;
	/** The hash map of an associative array whose keys are `keys` and values `valueSize` bytes. */
	assoc(name: string, keys: KeyField[], valueSize: number): number;
}

const COMPARISONS = new Set(["==", "!=", "<", "<=", ">", ">="]);

function varEnv(env: LowerEnv, at: Expr): VarEnv {
	if (!env.vars) throw unsupported("variables other than self-> are not available here.", at);
	return env.vars;
}

/** Where a variable lives. */
export function lowerRef(e: LValue, env: LowerEnv): VarRef {
	switch (e.kind) {
		case "self":
			if (isStringVar(e, env)) return selfStrRef(e.name, env, valueBytes(e, env));
			return { k: "tls", slot: env.tlsSlot(e.name) };
		case "this":
			return { k: "this", off: varEnv(env, e).local(e.name, valueBytes(e, env)) };
		case "ident":
			return { k: "global", off: varEnv(env, e).global(e.name) };
		case "index": {
			const keys = [...threadKey(e.base.name, env), ...e.keys.map((k) => lowerKey(k, env, true).field)];
			return { k: "assoc", mapFd: varEnv(env, e).assoc(e.base.name, keys, valueBytes(e, env)), keys };
		}
		case "field":
			if (e.bits !== undefined) throw unsupported(`${e.text} is a bit-field: it has no place of its own.`, e);
			return fieldRef(e, env);
	}
}

/** Is the variable a string one? */
export function isStringVar(e: LValue, env: LowerEnv): boolean {
	return env.vars?.strings.has(varKey(e)) === true;
}

/** Bytes a variable's value takes: 8, or strsize rounded to 8 for a string. */
function valueBytes(e: LValue, env: LowerEnv): number {
	return isStringVar(e, env) ? roundUp8(env.strsize) : 8;
}

function types(env: LowerEnv): VarTypes {
	return env.vars?.types ?? new Map();
}

/** l op r with D's signedness (the promoted type; a shift's left operand). */
function typedBin(op: string, l: IntExpr, r: IntExpr, lt: IntType, rt: IntType): IntExpr {
	const t = op === "<<" || op === ">>" ? lt : promote(lt, rt);
	const node: IntExpr = { k: "bin", op: op as BinOp, l, r };
	if (!t.signed && (op === "/" || op === "%" || op === ">>" || COMPARISONS.has(op))) node.unsigned = true;
	return node;
}

/** The value as a variable of type `t` holds it: its low bytes, sign- or zero-extended. */
function storeCut(e: IntExpr, t: IntType): IntExpr {
	return t.size === 8 ? e : { k: "ext", e, size: t.size as 1 | 2 | 4, signed: t.signed };
}

/** `target op= value` (or `=`) as a store of the value cut to the variable's type. */
export function lowerAssign(s: Pick<AssignStmt, "op" | "target" | "value">, env: LowerEnv): IntExpr {
	if (s.target.kind === "field") {
		const f = s.target;
		let value = lowerInt(s.value, env);
		if (s.op !== "=")
			value = typedBin(s.op.slice(0, -1), lowerFieldLoad(f, env), value, f.type, typeOf(s.value, types(env)));
		return lowerFieldStore(f, env, storeCut(value, f.type));
	}
	const ref = lowerRef(s.target, env);
	const vt = typeOf(s.target, types(env));
	const valueType = typeOf(s.value, types(env));
	let value = lowerInt(s.value, env);
	if (s.op !== "=") value = typedBin(s.op.slice(0, -1), { k: "load", v: ref }, value, vt, valueType);
	// A store keeps the variable's size (as DTrace stores its bytes), whatever the value's type.
	return { k: "store", v: ref, value: storeCut(value, vt) };
}

export function isStringExpr(e: Expr, env?: LowerEnv): boolean {
	switch (e.kind) {
		case "this":
		case "ident":
		case "index":
		case "self":
			return env !== undefined && isStringVar(e, env);
		case "ternary":
			return isStringExpr(e.whenTrue, env) || isStringExpr(e.whenFalse, env);
		case "string":
			return true;
		case "builtin":
			return (
				e.name === "execname" ||
				e.name === "execargs" ||
				e.name === "psargs" ||
				e.name === "container" ||
				PROBE_STRINGS.has(e.name)
			);
		case "call":
			return isStringCall(e);
		case "kmem":
			return e.str !== undefined;
		default:
			return false;
	}
}

function unsupported(what: string, e: { pos: { line: number; column: number } }): LowerError {
	const where = e.pos.line > 0 ? `line ${e.pos.line}, column ${e.pos.column}: ` : "";
	return new LowerError(`${where}${what}`);
}

function compareStrings(op: string, a: string, b: string): boolean {
	switch (op) {
		case "==":
			return a === b;
		case "!=":
			return a !== b;
		case "<":
			return a < b;
		case "<=":
			return a <= b;
		case ">":
			return a > b;
		case ">=":
			return a >= b;
	}
	return false;
}

export function lowerInt(e: Expr, env: LowerEnv): IntExpr {
	const builtin = lowerBuiltinVar(e);
	if (builtin) return builtin;
	switch (e.kind) {
		case "int":
			return { k: "const", v: BigInt.asIntN(64, e.value) };
		case "string":
			throw unsupported("a string is not allowed here: an integer is expected.", e);
		case "self":
			return { k: "tls", slot: env.tlsSlot(e.name) };
		case "this":
		case "ident":
		case "index":
			return { k: "load", v: lowerRef(e, env) };
		case "field":
			return lowerFieldLoad(e, env);
		case "kmem":
			if (e.str !== undefined) throw unsupported(`${e.text} is a string: it cannot be used as an integer.`, e);
			return lowerKernel(e, env);
		case "incdec": {
			const t = typeOf(e.operand, types(env));
			const stored = lowerAssign({ op: e.op === "++" ? "+=" : "-=", target: e.operand, value: one }, env);
			if (e.prefix) return stored;
			// The old value: the new one stepped back, in the variable's type.
			const back = typedBin(e.op === "++" ? "-" : "+", stored, { k: "const", v: 1n }, t, INT);
			return castTo(back, promote(t, INT), t);
		}
		case "assignexpr":
			if (isStringVar(e.target, env)) throw unsupported("a string assignment used as a value is not supported yet.", e);
			return lowerAssign(e, env);
		case "ternary":
			if (isStringExpr(e.whenTrue, env))
				throw unsupported("a string ?: is not allowed here: an integer is expected.", e);
			return { k: "cond", c: lowerInt(e.cond, env), t: lowerInt(e.whenTrue, env), f: lowerInt(e.whenFalse, env) };
		case "cast": {
			const to = resolveType(e.type);
			if (!isInteger(to)) throw unsupported("only casts to integer types are supported.", e);
			return castTo(lowerInt(e.operand, env), typeOf(e.operand, types(env)), to);
		}
		case "unary":
			if (e.op === "+") return lowerInt(e.operand, env);
			return { k: "un", op: e.op, e: lowerInt(e.operand, env) };
		case "builtin": {
			const n = e.name;
			if (
				n === "pid" ||
				n === "tid" ||
				n === "uid" ||
				n === "gid" ||
				n === "cpu" ||
				n === "timestamp" ||
				n === "cgroup"
			)
				return { k: "builtin", name: n };
			if (n === "vtimestamp" || n === "walltimestamp" || n === "ppid")
				throw unsupported(`'${n}' is not supported yet; use timestamp or pid.`, e);
			if (n === "retval") return { k: "retval" };
			if (n === "epid") {
				if (env.epid === undefined) throw unsupported("epid is not known here.", e);
				return { k: "const", v: BigInt(env.epid) };
			}
			const m = /^arg(\d)$/.exec(n);
			if (m) return { k: "arg", n: Number(m[1]) };
			throw unsupported(`'${n}' is a string: it cannot be used as an integer.`, e);
		}
		case "call":
			{
				const call = lowerIntCall(e, env);
				if (call) return call;
			}
			if (e.fn === "speculation") return { k: "speculation" };
			if (e.fn === "progenyof") return { k: "progenyof", pid: lowerInt(e.args[0], env), ...taskLayout(e) };
			throw unsupported(`'${e.fn}()' cannot be used as an integer.`, e);
		case "binary": {
			const ls = isStringExpr(e.left, env);
			const rs = isStringExpr(e.right, env);
			if (ls || rs) {
				if (!(ls && rs)) throw unsupported(`cannot compare a string with an integer using '${e.op}'.`, e);
				return lowerStringCompare(e.op, e.left, e.right, env, e);
			}
			const vt = types(env);
			return typedBin(e.op, lowerInt(e.left, env), lowerInt(e.right, env), typeOf(e.left, vt), typeOf(e.right, vt));
		}
	}
}

const one: Expr = { kind: "int", value: 1n, pos: { line: 0, column: 0, offset: 0 } };

function probeString(e: Expr): ProbeField | undefined {
	return e.kind === "builtin" ? PROBE_FIELD[e.name] : undefined;
}

function lowerStringCompare(op: string, l: Expr, r: Expr, env: LowerEnv, at: Expr): IntExpr {
	if (!["==", "!=", "<", "<=", ">", ">="].includes(op))
		throw unsupported(`operator '${op}' cannot be applied to strings.`, at);
	// Decidable per probe: probe-name builtins against literals (or each other).
	const lp = probeString(l);
	const rp = probeString(r);
	const lit = (x: Expr) => (x.kind === "string" ? x.value : undefined);
	if ((lp || lit(l) !== undefined) && (rp || lit(r) !== undefined)) {
		const value = (p: TraceProbe, field: ProbeField | undefined, x: Expr) => (field ? p[field] : lit(x)!);
		if (!lp && !rp) return { k: "const", v: compareStrings(op, lit(l)!, lit(r)!) ? 1n : 0n };
		const ids = env.probes.filter((p) => compareStrings(op, value(p, lp, l), value(p, rp, r))).map((p) => p.id);
		return { k: "probein", ids };
	}
	if (lp || rp) throw unsupported("probe names can only be compared with string constants.", at);
	const ct = containerCompare(op, l, r, env, at);
	if (ct) return ct;
	if (op !== "==" && op !== "!=") throw unsupported(`'${op}' on strings is supported only for probe names.`, at);
	return { k: "streq", neg: op === "!=", l: lowerStr(l, env), r: lowerStr(r, env) };
}

export function lowerStr(e: Expr, env: LowerEnv): StrExpr {
	if (e.kind === "string") return { k: "strconst", v: e.value };
	// probeprov, probemod, probefunc, probename as values (strjoin(probeprov, probename)): the firing probe's.
	const pf = probeString(e);
	if (pf) return probeStr(pf, env);
	if ((e.kind === "self" || e.kind === "this" || e.kind === "ident" || e.kind === "index") && isStringVar(e, env))
		return { k: "var", v: lowerRef(e, env) };
	if (e.kind === "builtin" && e.name === "execname") return { k: "comm" };
	if (e.kind === "kmem" && e.str !== undefined && e.user)
		return { k: "copyinstr", addr: lowerKernel(e, env), len: { k: "const", v: BigInt(e.str) } };
	if (e.kind === "kmem" && e.str !== undefined) return { k: "kstr", addr: lowerKernel(e, env), size: e.str };
	if (e.kind === "builtin" && (e.name === "execargs" || e.name === "psargs")) return execArgs(e);
	if (e.kind === "builtin" && e.name === "container")
		throw unsupported(
			"'container' can be an aggregation key or compared with a string constant, not used as a string here.",
			e,
		);
	if (e.kind === "call" && e.fn === "copyinstr") {
		const addr = lowerInt(e.args[0], env);
		return e.args[1] ? { k: "copyinstr", addr, len: lowerInt(e.args[1], env) } : { k: "copyinstr", addr };
	}
	if (e.kind === "call") {
		const call = lowerStrCall(e, env);
		if (call) return call;
	}
	if (e.kind === "ternary")
		return { k: "cond", c: lowerInt(e.cond, env), t: lowerStr(e.whenTrue, env), f: lowerStr(e.whenFalse, env) };
	throw unsupported("a string is expected here.", e);
}

/** A probe-name string as the firing probe's value (one case per distinct value). */
function probeStr(field: ProbeField, env: LowerEnv): StrExpr {
	const byValue = new Map<string, number[]>();
	for (const p of env.probes) {
		const ids = byValue.get(p[field]) ?? [];
		ids.push(p.id);
		byValue.set(p[field], ids);
	}
	return { k: "strsel", cases: [...byValue].map(([v, ids]) => ({ v, ids })) };
}

function lowerKey(e: Expr, env: LowerEnv, asString = false): { field: KeyField; decode: KeyDecode } {
	if (isSymCall(e))
		throw unsupported(
			`${(e as { fn: string }).fn}() is supported as an aggregation key and in printf/trace, not here.`,
			e,
		);
	if (e.kind === "call" && (e.fn === "ustack" || e.fn === "kstack" || e.fn === "stack")) {
		const depth = e.args.length ? Number((e.args[0] as { value?: bigint }).value ?? 127n) : 127;
		return { field: { k: "stack", user: e.fn === "ustack" }, decode: { k: "stack", user: e.fn === "ustack", depth } };
	}
	const pf = probeString(e);
	// An associative array's key holds the name itself: one element for probefunc "write" at entry and return.
	if (pf && asString) {
		const size = roundUp8(env.strsize);
		return { field: { k: "str", e: probeStr(pf, env), size }, decode: { k: "str", size } };
	}
	if (pf) return { field: { k: "int", e: { k: "builtin", name: "probeid" } }, decode: { k: "probe", field: pf } };
	if (e.kind === "builtin" && e.name === "container")
		return { field: { k: "int", e: containerExpr(env, e) }, decode: { k: "container" } };
	if (isStringExpr(e, env)) {
		// Every string key takes strsize bytes (rounded to 8), so keys of one position
		// have one size whatever the expression; execname is at most 16.
		const comm = e.kind === "builtin" && e.name === "execname";
		const size = roundUp8(comm ? Math.min(16, env.strsize) : env.strsize);
		return { field: { k: "str", e: lowerStr(e, env), size }, decode: { k: "str", size } };
	}
	return { field: { k: "int", e: lowerInt(e, env) }, decode: { k: "int", ...exprIntType(e, env) } };
}

function roundUp8(n: number): number {
	return Math.ceil(n / 8) * 8;
}

function constInt(e: Expr, what: string): bigint {
	if (e.kind === "int") return e.value;
	if (e.kind === "unary" && e.op === "-" && e.operand.kind === "int") return -e.operand.value;
	throw unsupported(`${what} must be an integer constant.`, e);
}

export function lowerAggregate(s: AggregateStmt, env: LowerEnv): LoweredAgg {
	const keys: KeyField[] = [];
	const decode: KeyDecode[] = [];
	for (const k of s.keys) {
		if (isSymCall(k)) {
			const l = lowerSymKey(k, env);
			keys.push(...l.fields);
			decode.push(l.decode);
			continue;
		}
		const l = lowerKey(k, env);
		keys.push(l.field);
		decode.push(l.decode);
	}
	const agg: LoweredAgg = { name: s.name, fn: s.fn, keys, decode };
	if (s.fn !== "count") {
		if (s.args.length === 0) throw unsupported(`${s.fn}() needs an argument.`, s);
		agg.value = lowerInt(s.args[0], env);
	}
	if (s.fn === "lquantize") {
		const lo = constInt(s.args[1], "lquantize's lower bound");
		const hi = constInt(s.args[2], "lquantize's upper bound");
		const step = s.args[3] ? constInt(s.args[3], "lquantize's step") : 1n;
		if (step <= 0n || hi <= lo) throw unsupported("lquantize needs lower < upper and a positive step.", s);
		if ((hi - lo) / step > 1000n) throw unsupported("lquantize would have more than 1000 buckets.", s);
		agg.lq = { lo, hi, step };
	}
	if (s.fn === "llquantize") agg.lq = llquantizeParams(s);
	const weightAt = s.fn === "quantize" ? 1 : s.fn === "lquantize" ? 4 : s.fn === "llquantize" ? 5 : -1;
	if (weightAt > 0 && s.args[weightAt]) agg.weight = lowerInt(s.args[weightAt], env);
	return agg;
}

export type { ArgPlan };

/** A kernel value (ctypes/kernel.ts): the address base + offset, or the bytes read there. */
function lowerKernel(e: Extract<Expr, { kind: "kmem" }>, env: LowerEnv): IntExpr {
	const base: IntExpr = e.base ? lowerInt(e.base, env) : { k: "curtask" };
	const addr: IntExpr = e.offset ? { k: "bin", op: "+", l: base, r: { k: "const", v: BigInt(e.offset) } } : base;
	if (!e.read) return addr;
	return e.user
		? { k: "kread", addr, size: e.size, signed: e.signed, user: true }
		: { k: "kread", addr, size: e.size, signed: e.signed };
}

let layout: { parentOffset: number; tgidOffset: number } | undefined;

/** task_struct's real_parent and tgid offsets, from the kernel's BTF (read once). */
function taskLayout(at: Expr): { parentOffset: number; tgidOffset: number } {
	if (layout) return layout;
	let parentOffset: number | undefined;
	let tgidOffset: number | undefined;
	try {
		parentOffset = kernelMemberOffset("task_struct", "real_parent");
		tgidOffset = kernelMemberOffset("task_struct", "tgid");
	} catch {
		// no BTF: said below
	}
	if (parentOffset === undefined || tgidOffset === undefined)
		throw unsupported("progenyof() needs the kernel's BTF (/sys/kernel/btf/vmlinux) to walk parent processes.", at);
	layout = { parentOffset, tgidOffset };
	return layout;
}
