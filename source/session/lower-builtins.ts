// Lowering of the built-in variables kernel/codegen/builtins.ts compiles:
// ppid, vtimestamp, walltimestamp, errno, id, stackdepth, ustackdepth and
// uregs[R_*].
import { kernelMemberOffset } from "../../kernel/btf/index.ts";
import type { IntExpr, LQuantize, StrExpr, XVar } from "../../kernel/codegen/ir.ts";
import { llquantizeLimit } from "../../kernel/codegen/llquantize.ts";
import { archFor } from "../../kernel/sys/arch.ts";
import type { AggregateStmt, Expr } from "../d/ast.ts";
import { LIBRARY_CONSTANTS } from "../d/library.ts";
import { constantValue } from "../d/subset.ts";
import { LowerError } from "./lower.ts";

function fail(what: string, e: { pos: { line: number; column: number } }): LowerError {
	const where = e.pos.line > 0 ? `line ${e.pos.line}, column ${e.pos.column}: ` : "";
	return new LowerError(`${where}${what}`);
}

let offsets: { parent?: number; tgid?: number; runtime?: number } | undefined;

function taskOffsets(): { parent?: number; tgid?: number; runtime?: number } {
	if (offsets) return offsets;
	try {
		const se = kernelMemberOffset("task_struct", "se");
		const sum = kernelMemberOffset("sched_entity", "sum_exec_runtime");
		offsets = {
			parent: kernelMemberOffset("task_struct", "real_parent"),
			tgid: kernelMemberOffset("task_struct", "tgid"),
			runtime: se !== undefined && sum !== undefined ? se + sum : undefined,
		};
	} catch {
		offsets = {};
	}
	return offsets;
}

/**
 * The wall clock's distance from the monotonic clock bpf_ktime_get_ns reads
 * (CLOCK_MONOTONIC, as process.hrtime), measured now: walltimestamp is then
 * exact to the microsecond until the wall clock is stepped.
 */
function wallOffset(): bigint {
	const mono = process.hrtime.bigint();
	const wall = BigInt(Math.round((performance.timeOrigin + performance.now()) * 1000)) * 1000n;
	return wall - mono;
}

/** The pt_regs offset of uregs[i] on this machine's architecture. */
function uregOffset(i: bigint, at: Expr): number {
	const arch = archFor();
	if (arch.name === "x64") {
		// DTrace's x86_64 uregs[] order is struct pt_regs' (R_R15 = 0 ... R_SS = 20).
		if (i >= 0n && i <= 20n) return Number(i) * 8;
	} else if (i >= 0n && i <= 33n) {
		// arm64: x0..x30, sp, pc, pstate, as struct user_pt_regs lays them out.
		return Number(i) * 8;
	}
	throw fail(`uregs[${i}] is not a register dtop can read on ${arch.name === "x64" ? "x86_64" : "arm64"}.`, at);
}

function constIndex(e: Expr): bigint | undefined {
	if (e.kind === "int") return e.value;
	const name = (e as { kind: string; name?: string }).name;
	if ((e as { kind: string }).kind === "ident" && name !== undefined) return LIBRARY_CONSTANTS.get(name);
	return undefined;
}

/** The IR of these built-in variables, or undefined for any other expression. */
export function lowerBuiltinVar(e: Expr): IntExpr | undefined {
	const x = (v: XVar): IntExpr => ({ k: "xvar", v });
	if (e.kind === "index" && (e.base as { kind: string; name: string }).name === "uregs") {
		const k = e.keys.length === 1 ? constIndex(e.keys[0]!) : undefined;
		if (k === undefined) throw fail("uregs[] needs one constant index, such as uregs[R_PC].", e);
		return x({ name: "uregs", offset: uregOffset(k, e) });
	}
	if (e.kind !== "builtin") return undefined;
	const name: string = e.name;
	switch (name) {
		case "ppid": {
			const o = taskOffsets();
			if (o.parent === undefined || o.tgid === undefined)
				throw fail("ppid needs the kernel's BTF (/sys/kernel/btf/vmlinux) to find the parent process.", e);
			return x({ name: "ppid", parentOffset: o.parent, tgidOffset: o.tgid });
		}
		case "vtimestamp": {
			const o = taskOffsets();
			if (o.runtime === undefined)
				throw fail("vtimestamp needs the kernel's BTF (/sys/kernel/btf/vmlinux) to read the thread's CPU time.", e);
			return x({ name: "vtimestamp", offset: o.runtime });
		}
		case "walltimestamp":
			return x({ name: "walltimestamp", offset: wallOffset() });
		case "errno":
		case "stackdepth":
		case "ustackdepth":
		case "caller":
		case "ucaller":
			return x({ name });
		case "id":
			return { k: "builtin", name: "probeid" };
	}
	return undefined;
}

let mmLayout: { mm?: number; start?: number; end?: number } | undefined;

/** execargs/psargs: task->mm->arg_start..arg_end, at the offsets the kernel's BTF gives. */
export function execArgs(e: Expr): StrExpr {
	if (!mmLayout) {
		try {
			mmLayout = {
				mm: kernelMemberOffset("task_struct", "mm"),
				start: kernelMemberOffset("mm_struct", "arg_start"),
				end: kernelMemberOffset("mm_struct", "arg_end"),
			};
		} catch {
			mmLayout = {};
		}
	}
	const { mm, start, end } = mmLayout;
	if (mm === undefined || start === undefined || end === undefined)
		throw fail(
			`'${(e as { name: string }).name}' needs the kernel's BTF (/sys/kernel/btf/vmlinux) to find the process's arguments.`,
			e,
		);
	return { k: "execargs", mmOffset: mm, startOffset: start, endOffset: end };
}

/** llquantize(value, factor, low, high, steps[, weight]): its constant parameters (the checker validated DTrace's rules). */
export function llquantizeParams(s: AggregateStmt): LQuantize {
	const at = (i: number): number => {
		const a = s.args[i];
		const v = a ? constantValue(a) : undefined;
		if (v === undefined || v < 0n || v > 65535n)
			throw fail(`llquantize's argument #${i} must be an unsigned 16-bit integer constant.`, a ?? s);
		return Number(v);
	};
	const ll = { factor: at(1), lmag: at(2), hmag: at(3), steps: at(4) };
	if (ll.factor < 2 || ll.steps < 1 || ll.hmag < ll.lmag)
		throw fail("llquantize needs a factor of at least 2, low <= high and a positive number of steps.", s);
	const why = llquantizeLimit(ll);
	if (why) throw fail(why, s);
	return { lo: 0n, hi: 1n, step: 1n, ll };
}
