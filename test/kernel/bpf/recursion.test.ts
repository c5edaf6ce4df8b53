// Program.recursionMisses(): firings the kernel skipped because the program was
// already running on that CPU. Made to happen on purpose: a raw tracepoint program
// on bpf_trace_printk that itself calls bpf_trace_printk, run once by
// BPF_PROG_TEST_RUN. Its printk fires the tracepoint, which runs the program (the
// test run does not count as running), whose printk fires it again: that nested
// run is refused and counted.
import assert from "node:assert/strict";
import { test } from "node:test";
import { attachRawTracepoint } from "../../../kernel/attach/index.ts";
import { Helper } from "../../../kernel/bpf/helpers.ts";
import { Asm, Program, ProgType, R0, R1, R2, R10 } from "../../../kernel/bpf/index.ts";

function printkProgram(): Program {
	const a = new Asm();
	// "x\0" on the stack, then bpf_trace_printk(fmt, 2).
	a.st(2, R10, -8, 0x0078);
	a.mov(R1, R10).add(R1, -8).mov(R2, 2).call(Helper.trace_printk);
	a.mov(R0, 0).exit();
	return Program.load({ type: ProgType.RAW_TRACEPOINT, name: "t_recurse", insns: a });
}

test("a program re-entered on its own CPU counts the refused run in recursion_misses", () => {
	const p = printkProgram();
	try {
		assert.equal(p.recursionMisses(), 0, "nothing refused before it ran");
		const link = attachRawTracepoint(p.fd, "bpf_trace_printk");
		try {
			p.testRun({ ctx: Buffer.alloc(8), cpu: 0 });
		} finally {
			link.close();
		}
		const misses = p.recursionMisses();
		assert.ok(misses !== undefined && misses >= 1, `recursion_misses ${misses}`);
	} finally {
		p.close();
	}
});

test("reading a closed program's misses is an error, not a zero", () => {
	const p = printkProgram();
	p.close();
	assert.throws(() => p.recursionMisses(), /closed/);
});
