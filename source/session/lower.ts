// Lowers a D clause (source/d's AST) for one group of probes into the code
// generator's IR. Everything that depends only on which probe fired (probefunc,
// probename, ...) is decided here, in user space, and becomes a set of probe ids.
import { vmlinuxBtf } from "../../kernel/btf/index.ts";
import type { ArgPlan, IntExpr, KeyField, StrExpr } from "../../kernel/codegen/ir.ts";
import { STR_MAX } from "../../kernel/codegen/ir.ts";
import type { AggregateStmt, Clause, Expr } from "../d/ast.ts";
import type { TraceProbe } from "../providers/types.ts";

export class LowerError extends Error {
	constructor(message: string) {
		super(message);
		this.name = "LowerError";
	}
}

const PROBE_STRINGS = new Set(["probeprov", "probemod", "probefunc", "probename"]);
type ProbeField = "provider" | "module" | "function" | "name";
const PROBE_FIELD: Record<string, ProbeField> = {
	probeprov: "provider",
	probemod: "module",
	probefunc: "function",
	probename: "name",
};

/** How the consumer turns one key field's bytes back into a value. */
export type KeyDecode =
	| { k: "int" }
	| { k: "str"; size: number }
	| { k: "probe"; field: ProbeField }
	| { k: "stack"; user: boolean; depth: number };

export interface LoweredAgg {
	name: string;
	fn: AggregateStmt["fn"];
	keys: KeyField[];
	decode: KeyDecode[];
	value?: IntExpr;
	lq?: { lo: bigint; hi: bigint; step: bigint };
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
}

function isStringExpr(e: Expr): boolean {
	switch (e.kind) {
		case "string":
			return true;
		case "builtin":
			return e.name === "execname" || PROBE_STRINGS.has(e.name);
		case "call":
			return e.fn === "copyinstr";
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
	switch (e.kind) {
		case "int":
			return { k: "const", v: BigInt.asIntN(64, e.value) };
		case "string":
			throw unsupported("a string is not allowed here: an integer is expected.", e);
		case "self":
			return { k: "tls", slot: env.tlsSlot(e.name) };
		case "unary":
			return { k: "un", op: e.op, e: lowerInt(e.operand, env) };
		case "builtin": {
			const n = e.name;
			if (n === "pid" || n === "tid" || n === "uid" || n === "gid" || n === "cpu" || n === "timestamp")
				return { k: "builtin", name: n };
			if (n === "vtimestamp" || n === "walltimestamp" || n === "ppid")
				throw unsupported(`'${n}' is not supported yet; use timestamp or pid.`, e);
			if (n === "retval") return { k: "retval" };
			const m = /^arg(\d)$/.exec(n);
			if (m) return { k: "arg", n: Number(m[1]) };
			throw unsupported(`'${n}' is a string: it cannot be used as an integer.`, e);
		}
		case "call":
			if (e.fn === "strlen") throw unsupported("'strlen' is not supported yet.", e);
			if (e.fn === "progenyof") return { k: "progenyof", pid: lowerInt(e.args[0], env), ...taskLayout(e) };
			throw unsupported(`'${e.fn}()' cannot be used as an integer.`, e);
		case "binary": {
			const ls = isStringExpr(e.left);
			const rs = isStringExpr(e.right);
			if (ls || rs) {
				if (!(ls && rs)) throw unsupported(`cannot compare a string with an integer using '${e.op}'.`, e);
				return lowerStringCompare(e.op, e.left, e.right, env, e);
			}
			return { k: "bin", op: e.op, l: lowerInt(e.left, env), r: lowerInt(e.right, env) };
		}
	}
}

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
	if (op !== "==" && op !== "!=") throw unsupported(`'${op}' on strings is supported only for probe names.`, at);
	return { k: "streq", neg: op === "!=", l: lowerStr(l, env), r: lowerStr(r, env) };
}

export function lowerStr(e: Expr, env: LowerEnv): StrExpr {
	if (e.kind === "string") return { k: "strconst", v: e.value };
	if (e.kind === "builtin" && e.name === "execname") return { k: "comm" };
	if (e.kind === "call" && e.fn === "copyinstr") {
		if (e.args.length > 1) throw unsupported("copyinstr's length argument is not supported yet.", e);
		return { k: "copyinstr", addr: lowerInt(e.args[0], env) };
	}
	throw unsupported("a string is expected here.", e);
}

function lowerKey(e: Expr, env: LowerEnv): { field: KeyField; decode: KeyDecode } {
	if (e.kind === "call" && (e.fn === "ustack" || e.fn === "kstack")) {
		const depth = e.args.length ? Number((e.args[0] as { value?: bigint }).value ?? 127n) : 127;
		return { field: { k: "stack", user: e.fn === "ustack" }, decode: { k: "stack", user: e.fn === "ustack", depth } };
	}
	const pf = probeString(e);
	if (pf) return { field: { k: "int", e: { k: "builtin", name: "probeid" } }, decode: { k: "probe", field: pf } };
	if (isStringExpr(e)) {
		const size =
			e.kind === "builtin" ? 16 : e.kind === "string" ? Math.min(STR_MAX, roundUp8(e.value.length + 1)) : STR_MAX;
		return { field: { k: "str", e: lowerStr(e, env), size }, decode: { k: "str", size } };
	}
	return { field: { k: "int", e: lowerInt(e, env) }, decode: { k: "int" } };
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
	return agg;
}

/** Does the clause read probe arguments (so programs must be split by argument layout)? */
export function usesArgs(c: Clause): boolean {
	let found = false;
	const visit = (e: Expr | null | undefined): void => {
		if (!e || found) return;
		switch (e.kind) {
			case "builtin":
				if (/^arg\d$/.test(e.name) || e.name === "retval") found = true;
				return;
			case "unary":
				visit(e.operand);
				return;
			case "binary":
				visit(e.left);
				visit(e.right);
				return;
			case "call":
				e.args.forEach(visit);
				return;
			default:
				return;
		}
	};
	visit(c.predicate);
	for (const s of c.statements) {
		if (s.kind === "aggregate") {
			s.keys.forEach(visit);
			s.args.forEach(visit);
		} else visit(s.value);
	}
	return found;
}

export function clauseUsesStacks(c: Clause): boolean {
	return c.statements.some(
		(s) => s.kind === "aggregate" && s.keys.some((k) => k.kind === "call" && (k.fn === "ustack" || k.fn === "kstack")),
	);
}

export type { ArgPlan };

let layout: { parentOffset: number; tgidOffset: number } | undefined;

/** task_struct's real_parent and tgid offsets, from the kernel's BTF (read once). */
function taskLayout(at: Expr): { parentOffset: number; tgidOffset: number } {
	if (layout) return layout;
	let parentOffset: number | undefined;
	let tgidOffset: number | undefined;
	try {
		const btf = vmlinuxBtf();
		parentOffset = btf.memberOffset("task_struct", "real_parent");
		tgidOffset = btf.memberOffset("task_struct", "tgid");
	} catch {
		// no BTF: said below
	}
	if (parentOffset === undefined || tgidOffset === undefined)
		throw unsupported("progenyof() needs the kernel's BTF (/sys/kernel/btf/vmlinux) to walk parent processes.", at);
	layout = { parentOffset, tgidOffset };
	return layout;
}
