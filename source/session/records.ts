// Per-event records: how a clause's recording actions (the default action,
// trace, printf, exit) are laid out in its ring-buffer record, and how the
// consumer turns a record's bytes back into source/output's EventRecord.
import type { IntExpr, RecordStmt } from "../../kernel/codegen/ir.ts";
import { RECORD_HEADER } from "../../kernel/codegen/ir.ts";
import { SPEC_ID_OFFSET } from "../../kernel/codegen/speculation.ts";
import type { ActionCall, AggVar, Clause, Expr } from "../d/ast.ts";
import { FAULT, type RuntimeFault } from "../output/diagnostics.ts";
import type { Action, DValue, EventRecord, IntSize, ProbeName, SymValue } from "../output/model.ts";
import { parseFormat } from "../output/printf-format.ts";
import {
	allStatements,
	isStringExpr,
	type LowerEnv,
	LowerError,
	lowerInt,
	lowerStr,
	PROBE_FIELD,
	type ProbeField,
} from "./lower.ts";
import { isSymCall, type SymFn } from "./lower-syms.ts";
import { typeOf } from "./lower-types.ts";
import { type RecordSymbols, readStack, readSym, type StackLayout, type SymLayout } from "./record-syms.ts";

/** Where one value of a record is, and how it reads back. */
export type ArgLayout =
	| { k: "int"; off: number; size: IntSize; signed: boolean }
	/** `copyin`: the helper's result and the address precede the bytes. */
	| { k: "str"; off: number; size: number; copyin: boolean }
	/** A string literal, or a probe's name: known without the kernel. */
	| { k: "const"; value: string; trusted: boolean }
	/** `max`: the most bytes printed (strsize characters; a probe's name is cut like any string). */
	| { k: "probe"; field: ProbeField; max?: number }
	| SymLayout;

export type ActionLayout = (
	| { kind: "printf"; format: string; args: ArgLayout[] }
	| { kind: "trace"; arg: ArgLayout }
	| StackLayout
	| { kind: "exit"; arg: ArgLayout }
	/** commit(id) / discard(id): the consumer acts on the speculation where the record is (speculation.ts). */
	| { kind: "commit" | "discard"; arg: ArgLayout }
	/** printa(): no bytes in the record; the consumer prints the aggregations as they are when it gets there. */
	| { kind: "printa"; format?: string; names: string[] }
	/** clear/trunc/normalize/denormalize: the consumer acts on the aggregation where the record is in the output. */
	| { kind: "aggop"; op: "clear" | "trunc" | "normalize" | "denormalize"; name: string; arg?: ArgLayout }
) & {
	/** An action inside if/else: the u64 at this offset is non-zero when its branch ran. */
	guard?: number;
};

export interface RecordLayout {
	size: number;
	actions: ActionLayout[];
	/** Records of BEGIN and END come before and after every other. */
	phase?: "begin" | "end";
}

/** An integer expression's C type (size and sign), as DTrace types it: for trace()'s columns and printf's casts. */
export function intType(e: Expr): { size: IntSize; signed: boolean } {
	const I32 = { size: 4 as IntSize, signed: true };
	const I64 = { size: 8 as IntSize, signed: true };
	switch (e.kind) {
		case "int":
			return e.value <= 0x7fffffffn ? I32 : e.value <= 0x7fffffffffffffffn ? I64 : { size: 8, signed: false };
		case "builtin":
			if (e.name === "uid" || e.name === "gid") return { size: 4, signed: false };
			if (e.name === "pid" || e.name === "tid" || e.name === "ppid" || e.name === "cpu") return I32;
			if (e.name.endsWith("timestamp")) return { size: 8, signed: false };
			return I64;
		case "unary":
			return e.op === "!" ? I32 : promote(intType(e.operand), I32);
		case "binary":
			if (["==", "!=", "<", "<=", ">", ">=", "&&", "||"].includes(e.op)) return I32;
			if (e.op === "<<" || e.op === ">>") return promote(intType(e.left), I32);
			return promote(intType(e.left), intType(e.right));
		case "call":
			return e.fn === "index" || e.fn === "rindex" ? I32 : { size: 8, signed: false };
		default:
			return I64;
	}
}

/** Variables, casts, ?: and ++/-- have D's types (lower-types.ts); the rest intType's. */
export function exprIntType(e: Expr, env: LowerEnv): { size: IntSize; signed: boolean } {
	if (["this", "ident", "index", "self", "incdec", "ternary", "cast", "field", "kmem"].includes(e.kind)) {
		const t = typeOf(e, env.vars?.types ?? new Map());
		return { size: t.size, signed: t.signed };
	}
	// Operators over variables: DTrace's dt_type_promote, not C's conversions: no
	// promotion to int, the operand of higher rank (bits + unsigned) wins, so an
	// unsigned char plus a signed char is an unsigned char (arithmetic/tst.cast-add:
	// 254 + 3 prints 1, and an unsigned char 253 doubled prints 250).
	if (e.kind === "unary" && e.op !== "!") return exprIntType(e.operand, env);
	if (e.kind === "binary" && !["==", "!=", "<", "<=", ">", ">=", "&&", "||", "^^"].includes(e.op))
		return e.op === "<<" || e.op === ">>"
			? exprIntType(e.left, env)
			: promote(exprIntType(e.left, env), exprIntType(e.right, env));
	return intType(e);
}

/** dt_type_promote on two integer types: the higher rank, rank = bits + (unsigned); the left one on a tie. */
function promote(l: { size: IntSize; signed: boolean }, r: { size: IntSize; signed: boolean }) {
	const rank = (t: { size: IntSize; signed: boolean }) => t.size * 8 + (t.signed ? 0 : 1);
	return rank(r) > rank(l) ? r : l;
}

const isString = (e: Expr, env: LowerEnv) =>
	isStringExpr(e, env) ||
	e.kind === "string" ||
	(e.kind === "builtin" && (e.name === "execname" || e.name in PROBE_FIELD)) ||
	(e.kind === "call" && e.fn === "copyinstr");

/** Lays out a clause's recording actions (in order) and the statements that write them. */
export class RecordBuilder {
	size = RECORD_HEADER;
	readonly actions: ActionLayout[] = [];
	readonly stmts: RecordStmt[] = [];

	constructor(
		private readonly env: LowerEnv,
		private readonly strsize: number,
		/** ustack() actions record the .eh_frame unwinder's walk (the clause's program has the unwinder). */
		private readonly unwound = false,
	) {}

	private int(e: IntExpr, type: { size: IntSize; signed: boolean }): ArgLayout & { off: number } {
		const off = this.size;
		this.size += 8;
		this.stmts.push({ k: "rec-int", off, e });
		return { k: "int", off, ...type };
	}

	/** func() & co, or an integer printed by %a/%A: the address, after the pid for user ones. */
	private sym(fn: SymFn | "addr", user: boolean, addr: Expr): ArgLayout {
		const pidOff = user ? this.int({ k: "builtin", name: "pid" }, { size: 4, signed: true }).off : undefined;
		const off = (this.int(lowerInt(addr, this.env), { size: 8, signed: false }) as { off: number }).off;
		return { k: "sym", fn, user, off, pidOff };
	}

	private value(e: Expr | AggVar, conv?: string): ArgLayout {
		if (e.kind === "aggvar") throw new LowerError(`@${e.name} can only be printed with printa().`);
		if (isSymCall(e)) {
			const fn = (e as { fn: SymFn }).fn;
			return this.sym(fn, fn.startsWith("u"), (e as { args: Expr[] }).args[0]!);
		}
		if ((conv === "kaddr" || conv === "uaddr") && !isString(e, this.env)) return this.sym("addr", conv === "uaddr", e);
		if (!isString(e, this.env)) return this.int(lowerInt(e, this.env), this.type(e));
		// A string known without the kernel is cut at strsize as a recorded one is
		// (DTrace: trace("abcdefgh") at strsize=5 prints abcde; this.strsize counts the NUL).
		const chars = this.strsize - 1;
		if (e.kind === "string") return { k: "const", value: cutString(e.value, chars), trusted: true };
		if (e.kind === "builtin" && e.name in PROBE_FIELD) return { k: "probe", field: PROBE_FIELD[e.name], max: chars };
		const s = lowerStr(e, this.env);
		if (s.k === "strconst") return { k: "const", value: cutString(s.v, chars), trusted: true };
		if (s.k === "strsel") throw new LowerError("a probe's name is printed from the probe, not the record.");
		const copyin = s.k === "copyinstr" && !s.len;
		// `size`: the most bytes read, the NUL included (the strsize option + 1); the place is rounded to 8.
		const size = s.k === "comm" ? 16 : this.strsize;
		const off = this.size;
		this.size += (copyin ? 16 : 0) + Math.ceil(size / 8) * 8;
		this.stmts.push({ k: "rec-str", off, size, e: s });
		return { k: "str", off, size, copyin };
	}

	private type(e: Expr): { size: IntSize; signed: boolean } {
		return exprIntType(e, this.env);
	}

	/** An 8-byte flag of the record: written 0 at the clause's start, 1 where a branch's action runs. */
	guard(): number {
		const off = this.size;
		this.size += 8;
		return off;
	}

	action(c: ActionCall): void {
		switch (c.fn) {
			case "printf": {
				const f = c.args[0];
				if (f?.kind !== "string") throw new LowerError("printf's format must be a string constant.");
				const convs = printfArgClasses(f.value);
				const args = c.args.slice(1).map((a, i) => this.value(a, convs[i]));
				this.actions.push({ kind: "printf", format: f.value, args });
				return;
			}
			case "stack":
			case "ustack": {
				const user = c.fn === "ustack";
				const n = c.args[0] as Expr | undefined;
				const frames = n ? Number(constantFrames(n)) : user ? USTACKFRAMES : STACKFRAMES;
				const unwound = user && this.unwound;
				const off = this.size;
				this.size += unwound ? 8 : 16 + frames * 8;
				this.stmts.push({ k: "rec-stack", off, user, frames, unwound });
				this.actions.push({ kind: "stack", user, off, frames, unwound });
				return;
			}
			case "func":
			case "sym":
			case "mod":
			case "ufunc":
			case "usym":
			case "umod":
			case "uaddr":
				this.actions.push({ kind: "trace", arg: this.value(c as Expr) });
				return;
			case "trace":
				this.actions.push({ kind: "trace", arg: this.value(c.args[0]!) });
				return;
			case "printa": {
				const args = [...c.args];
				const format = args[0]?.kind === "string" ? (args.shift() as { value: string }).value : undefined;
				this.actions.push({ kind: "printa", format, names: args.map((a) => (a as AggVar).name) });
				return;
			}
			case "clear":
			case "trunc":
			case "normalize":
			case "denormalize": {
				const [agg, n] = c.args;
				if (agg?.kind !== "aggvar") throw new LowerError(`${c.fn}() takes an aggregation (@name).`);
				const arg = n === undefined ? undefined : this.int(lowerInt(n as Expr, this.env), { size: 8, signed: true });
				this.actions.push({ kind: "aggop", op: c.fn, name: agg.name, arg });
				return;
			}
			case "commit":
			case "discard": {
				const off = this.size;
				this.size += 8;
				this.stmts.push({ k: "spec-end", off, e: lowerInt(c.args[0] as Expr, this.env) });
				this.actions.push({ kind: c.fn, arg: { k: "int", off, size: 8, signed: true } });
				return;
			}
			case "exit": {
				const off = this.size;
				this.size += 8;
				this.stmts.push({ k: "exit", off, e: lowerInt(c.args[0] as Expr, this.env) });
				this.actions.push({ kind: "exit", arg: { k: "int", off, size: 4, signed: true } });
				return;
			}
		}
	}
}

/** Does the clause write a record (the default action, or an action that records data)? */
export function clauseRecords(c: Clause): boolean {
	return c.statements.length === 0 || allStatements(c.statements).some((s) => s.kind === "expr");
}

/** A record's part in speculations: the speculation it belongs to, the commits and discards it does. */
export interface SpecMarks {
	spec?: number;
	specOps?: { op: "commit" | "discard"; id: bigint; action: number }[];
}

export interface Decoded {
	record?: EventRecord & { phase?: "begin" | "end" } & SpecMarks;
	fault?: RuntimeFault;
}

/** A record's bytes (from the ring buffer) as an EventRecord, or the fault that abandons it. */
export function decodeRecord(
	buf: Buffer,
	layout: RecordLayout,
	probeOf: (id: number) => ProbeName,
	epid: number,
	aggId: (name: string) => number,
	syms?: RecordSymbols,
): Decoded {
	const probe = probeOf(buf.readUInt32LE(4));
	const timestamp = buf.readBigUInt64LE(8);
	const cpu = buf.readUInt32LE(16);
	const actions: Action[] = [];
	const marks: SpecMarks = {};
	const spec = buf.readUInt32LE(SPEC_ID_OFFSET);
	if (spec) marks.spec = spec;
	let n = 0;
	for (const a of layout.actions) {
		n++;
		if (a.guard !== undefined && buf.readBigUInt64LE(a.guard) === 0n) continue;
		if (a.kind === "commit" || a.kind === "discard") {
			const id = a.arg.k === "int" ? BigInt.asIntN(64, buf.readBigUInt64LE(a.arg.off)) : 0n;
			(marks.specOps ??= []).push({ op: a.kind, id, action: n });
			continue;
		}
		if (a.kind === "printa") {
			actions.push({ kind: "printa", format: a.format, aggregations: a.names.map(aggId) });
			continue;
		}
		if (a.kind === "aggop") {
			const aggregation = aggId(a.name);
			const n = a.arg && a.arg.k === "int" ? BigInt.asIntN(64, buf.readBigUInt64LE(a.arg.off)) : undefined;
			if (a.op === "trunc") actions.push({ kind: "trunc", aggregation, keep: n });
			else if (a.op === "normalize") actions.push({ kind: "normalize", aggregation, normal: n ?? 1n });
			else actions.push({ kind: a.op, aggregation });
			continue;
		}
		if (a.kind === "stack") {
			actions.push({ kind: "stack", value: readStack(buf, a, syms) });
			continue;
		}
		const vals: DValue[] = [];
		const args = a.kind === "printf" ? a.args : [a.arg];
		for (const arg of args) {
			const v = arg.k === "sym" ? readSym(buf, arg, syms) : readArg(buf, arg, probe);
			if ("fault" in v)
				return { fault: { epid, probe, fault: FAULT.BADADDR, addr: v.fault, action: n, cpu, timestamp } };
			vals.push(v);
		}
		if (a.kind === "printf") actions.push({ kind: "printf", format: a.format, args: vals });
		else if (a.kind === "trace" && vals[0]!.kind === "sym") actions.push({ kind: "sym", value: vals[0] as SymValue });
		else if (a.kind === "trace") actions.push({ kind: "trace", value: vals[0]! });
		else actions.push({ kind: "exit", status: Number((vals[0] as { value: bigint }).value) });
	}
	return { record: { cpu, epid, probe, timestamp, actions, phase: layout.phase, ...marks } };
}

/** DTrace's defaults of the stackframes and ustackframes options. */
const STACKFRAMES = 20;
const USTACKFRAMES = 100;

function constantFrames(e: Expr): bigint {
	if (e.kind !== "int" || e.value < 1n || e.value > 127n) {
		const at = e.pos.line > 0 ? `line ${e.pos.line}, column ${e.pos.column}: ` : "";
		throw new LowerError(`${at}the number of frames of stack()/ustack() must be an integer constant from 1 to 127.`);
	}
	return e.value;
}

/** The conversion class (printf-format.ts) each printf argument meets, by argument position. */
function printfArgClasses(format: string): (string | undefined)[] {
	const out: (string | undefined)[] = [];
	let parsed: ReturnType<typeof parseFormat>;
	try {
		parsed = parseFormat(format);
	} catch {
		return out; // the checker reports bad formats
	}
	for (const cv of parsed.conversions) {
		if (cv.name === "%") continue;
		if (cv.dynWidth) out.push(undefined);
		if (cv.dynPrecision) out.push(undefined);
		out.push(cv.info.cls);
	}
	return out;
}

/** The first `bytes` bytes of a string (its UTF-8), as a string buffer of strsize holds them. */
export function cutString(v: string, bytes: number | undefined): string {
	if (bytes === undefined || v.length <= bytes / 3) return v;
	const b = Buffer.from(v, "utf8");
	return b.length <= bytes ? v : b.subarray(0, bytes).toString("utf8");
}

function readArg(buf: Buffer, a: Exclude<ArgLayout, SymLayout>, probe: ProbeName): DValue | { fault: bigint } {
	switch (a.k) {
		case "const":
			return { kind: "string", value: a.value, trusted: a.trusted };
		case "probe":
			return { kind: "string", value: cutString(probe[a.field], a.max) };
		case "int": {
			const raw = buf.readBigUInt64LE(a.off);
			const bits = BigInt(a.size * 8);
			const value = a.signed ? BigInt.asIntN(Number(bits), raw) : BigInt.asUintN(Number(bits), raw);
			return { kind: "int", value, size: a.size, signed: a.signed };
		}
		case "str": {
			let at = a.off;
			if (a.copyin) {
				// A negative result is the helper's -errno: the address could not be read.
				if (buf.readBigInt64LE(at) < 0n) return { fault: buf.readBigUInt64LE(at + 8) };
				at += 16;
			}
			const end = buf.indexOf(0, at);
			const stop = end < 0 || end > at + a.size ? at + a.size : end;
			return { kind: "string", value: buf.toString("utf8", at, stop) };
		}
	}
}
