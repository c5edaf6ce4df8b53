// The real Sys: raw system calls through koffi. This is the only file in the
// project that imports koffi.
import { createRequire } from "node:module";
import { archFor } from "./arch.ts";
import { SyscallError } from "./errors.ts";
import type { Sys } from "./sys.ts";

const BPF_CMD_NAMES: Record<number, string> = {
	0: "BPF_MAP_CREATE",
	1: "BPF_MAP_LOOKUP_ELEM",
	2: "BPF_MAP_UPDATE_ELEM",
	3: "BPF_MAP_DELETE_ELEM",
	4: "BPF_MAP_GET_NEXT_KEY",
	5: "BPF_PROG_LOAD",
	24: "BPF_MAP_LOOKUP_BATCH",
	28: "BPF_LINK_CREATE",
	18: "BPF_BTF_LOAD",
	17: "BPF_RAW_TRACEPOINT_OPEN",
};

export function bpfCommandName(cmd: number): string {
	return BPF_CMD_NAMES[cmd] ?? `cmd ${cmd}`;
}

type Fn = ((...args: unknown[]) => unknown) & { async: (...args: unknown[]) => void };

export function createNativeSys(): Sys {
	const require = createRequire(import.meta.url);
	const koffi = require("koffi") as {
		load(path: string): { func(decl: string): Fn };
		errno(): number;
		view(ptr: bigint, len: number): ArrayBuffer;
	};
	const arch = archFor();
	const libc = koffi.load("libc.so.6");
	// syscall(2) is variadic in libc; fixed prototypes are ABI-compatible for
	// integer and pointer arguments on x86_64 and aarch64 (glibc's syscall is
	// written in assembly and reads registers directly).
	const sysBpf = libc.func("long syscall(long nr, int cmd, void *attr, unsigned int size)");
	const sysPerf = libc.func("long syscall(long nr, void *attr, int pid, int cpu, int group_fd, unsigned long flags)");
	const cIoctl = libc.func("int ioctl(int fd, unsigned long request, unsigned long arg)");
	const cClose = libc.func("int close(int fd)");
	const cMmap = libc.func("void *mmap(void *addr, size_t length, int prot, int flags, int fd, long offset)");
	const cMunmap = libc.func("int munmap(void *addr, size_t length)");

	return {
		bpf(cmd, attr, what) {
			const ret = Number(sysBpf(arch.syscalls.bpf, cmd, attr, attr.length));
			if (ret < 0) throw new SyscallError(`bpf(${bpfCommandName(cmd)})`, koffi.errno(), what);
			return ret;
		},
		bpfTry(cmd, attr) {
			const ret = Number(sysBpf(arch.syscalls.bpf, cmd, attr, attr.length));
			return { ret, errno: ret < 0 ? koffi.errno() : 0 };
		},
		perfEventOpen(attr, pid, cpu, groupFd, flags) {
			const ret = Number(sysPerf(arch.syscalls.perf_event_open, attr, pid, cpu, groupFd, flags));
			if (ret < 0) throw new SyscallError("perf_event_open", koffi.errno());
			return ret;
		},
		ioctl(fd, request, arg) {
			const ret = Number(cIoctl(fd, request, arg));
			if (ret < 0) throw new SyscallError(`ioctl(0x${request.toString(16)})`, koffi.errno());
			return ret;
		},
		close(fd) {
			if (fd < 0) return;
			if (Number(cClose(fd)) < 0) throw new SyscallError("close", koffi.errno());
		},
		closeAsync(fd) {
			if (fd < 0) return Promise.resolve();
			return new Promise((resolve, reject) => {
				cClose.async(fd, (err: unknown, ret: unknown) => {
					// errno lives on the worker thread; close fails only on a bad descriptor.
					if (err) reject(err);
					else if (Number(ret) < 0) reject(new SyscallError("close", 9));
					else resolve();
				});
			});
		},
		mmap(length, prot, flags, fd, offset) {
			const p = cMmap(null, length, prot, flags, fd, offset) as bigint;
			const addr = BigInt.asUintN(64, BigInt(p ?? 0));
			if (addr === 0n || addr === 0xffffffffffffffffn) throw new SyscallError("mmap", koffi.errno());
			return addr;
		},
		munmap(addr, length) {
			if (Number(cMunmap(addr, length)) < 0) throw new SyscallError("munmap", koffi.errno());
		},
		view(addr, length) {
			return koffi.view(addr, length);
		},
	};
}
