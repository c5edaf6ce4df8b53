// A scriptable stand-in for Sys, for unit tests that must not touch the kernel.
import { SyscallError } from "./errors.ts";
import type { Sys } from "./sys.ts";

export interface FakeCall {
	call: "bpf" | "perf_event_open" | "ioctl" | "close" | "mmap" | "munmap";
	args: unknown[];
}

export class FakeSys implements Sys {
	readonly calls: FakeCall[] = [];
	private nextFd = 100;
	/** Answer for bpf(cmd): a number (fd/result), an errno to fail with, or a function. */
	bpfHandler: (cmd: number, attr: Buffer) => number | { errno: number } = () => this.nextFd++;
	readonly open = new Set<number>();

	bpf(cmd: number, attr: Buffer, what?: string): number {
		this.calls.push({ call: "bpf", args: [cmd, Buffer.from(attr)] });
		const r = this.bpfHandler(cmd, attr);
		if (typeof r === "object") throw new SyscallError(`bpf(cmd ${cmd})`, r.errno, what);
		if (cmd === 0 || cmd === 5 || cmd === 28) this.open.add(r);
		return r;
	}
	bpfTry(cmd: number, attr: Buffer): { ret: number; errno: number } {
		try {
			return { ret: this.bpf(cmd, attr), errno: 0 };
		} catch (e) {
			return { ret: -1, errno: (e as SyscallError).errno };
		}
	}
	perfEventOpen(attr: Buffer, pid: number, cpu: number, groupFd: number, flags: number): number {
		this.calls.push({ call: "perf_event_open", args: [Buffer.from(attr), pid, cpu, groupFd, flags] });
		const fd = this.nextFd++;
		this.open.add(fd);
		return fd;
	}
	ioctl(fd: number, request: number, arg: number | bigint): number {
		this.calls.push({ call: "ioctl", args: [fd, request, arg] });
		return 0;
	}
	close(fd: number): void {
		this.calls.push({ call: "close", args: [fd] });
		this.open.delete(fd);
	}
	closeAsync(fd: number): Promise<void> {
		this.close(fd);
		return Promise.resolve();
	}
	private memory = new Map<bigint, ArrayBuffer>();
	private nextAddr = 0x10000n;
	mmap(length: number, prot: number, flags: number, fd: number, offset: number): bigint {
		this.calls.push({ call: "mmap", args: [length, prot, flags, fd, offset] });
		const addr = this.nextAddr;
		this.nextAddr += BigInt(length + 4096);
		this.memory.set(addr, new ArrayBuffer(length));
		return addr;
	}
	munmap(addr: bigint, length: number): void {
		this.calls.push({ call: "munmap", args: [addr, length] });
		this.memory.delete(addr);
	}
	view(addr: bigint, length: number): ArrayBuffer {
		const m = this.memory.get(addr);
		if (!m || m.byteLength < length) throw new Error("fake view of unmapped memory");
		return m;
	}
}
