// Raw tracepoints: the program hangs off the tracepoint by name
// (BPF_RAW_TRACEPOINT_OPEN), with no perf event in between. Its context is the
// tracepoint's raw arguments, not the formatted record, so it serves clauses
// that read no arguments. Why bother: releasing a perf-event tracepoint waits
// for RCU grace periods (perf_trace_event_unreg synchronises per event), so
// 400 of them take ~30 s to close, even after kill -9; a raw tracepoint link
// unregisters its probe and frees it after a grace period without waiting.
// The cookie (bpf_get_attach_cookie) needs Linux 6.10.
import { Asm, Program, ProgType, R0 } from "../bpf/index.ts";
import { nativeCString, SyscallError, sys } from "../sys/index.ts";
import { type Link, makeLink } from "./link.ts";

export const BPF_RAW_TRACEPOINT_OPEN = 17;

/** Attach a RAW_TRACEPOINT program to the tracepoint `name` (the event's name, e.g. `sched_switch`). */
export function attachRawTracepoint(progFd: number, name: string, cookie: bigint | number = 0n): Link {
	const fd = rawTracepointOpen(progFd, name, cookie);
	return makeLink("raw_tracepoint", name, 1, [fd]);
}

function rawTracepointOpen(progFd: number, name: string, cookie: bigint | number): number {
	const text = nativeCString(name);
	try {
		// union bpf_attr.raw_tracepoint: name@0, prog_fd@8, cookie@16 (6.10+).
		const attr = Buffer.alloc(24);
		attr.writeBigUInt64LE(text.addr, 0);
		attr.writeUInt32LE(progFd, 8);
		attr.writeBigUInt64LE(BigInt.asUintN(64, BigInt(cookie)), 16);
		return sys().bpf(BPF_RAW_TRACEPOINT_OPEN, attr, `raw tracepoint ${name}`);
	} finally {
		text.free();
	}
}

let cookies: boolean | undefined;

/**
 * Whether raw tracepoint links carry a cookie (Linux 6.10). Asked once: a
 * kernel that does not know the field refuses the attribute (EINVAL); one that
 * does looks the (absent) tracepoint up and answers ENOENT.
 */
export function rawTracepointCookies(): boolean {
	if (cookies === undefined) {
		let prog: Program | undefined;
		try {
			prog = Program.load({ type: ProgType.RAW_TRACEPOINT, insns: new Asm().mov(R0, 0).exit(), name: "dtop_rawtp" });
			const fd = rawTracepointOpen(prog.fd, "dtop_no_such_tracepoint", 1n);
			sys().close(fd);
			cookies = true;
		} catch (e) {
			cookies = e instanceof SyscallError && e.errno === 2;
		} finally {
			prog?.close();
		}
	}
	return cookies;
}
