// The Sys interface: every system call the kernel plane makes goes through it,
// so unit tests can swap in a fake (fake.ts) and never touch the kernel.

export interface Sys {
	/** bpf(2). Returns the non-negative result; throws SyscallError on failure. */
	bpf(cmd: number, attr: Buffer, what?: string): number;
	/** bpf(2) returning the raw result and errno, for feature probes that expect failure. */
	bpfTry(cmd: number, attr: Buffer): { ret: number; errno: number };
	perfEventOpen(attr: Buffer, pid: number, cpu: number, groupFd: number, flags: number): number;
	ioctl(fd: number, request: number, arg: number | bigint): number;
	close(fd: number): void;
	/**
	 * close(2) on a worker thread: detaching a uprobe or tracepoint link waits for
	 * the kernel's RCU grace periods (tens of ms), which must not block the UI.
	 */
	closeAsync(fd: number): Promise<void>;
	/** mmap a file descriptor; returns the mapping's address. */
	mmap(length: number, prot: number, flags: number, fd: number, offset: number): bigint;
	munmap(addr: bigint, length: number): void;
	/** An ArrayBuffer aliasing `length` bytes of native memory at `addr` (a mapping). */
	view(addr: bigint, length: number): ArrayBuffer;
}

export const PROT_READ = 1;
export const PROT_WRITE = 2;
export const MAP_SHARED = 1;
export const PERF_FLAG_FD_CLOEXEC = 8;
export const PERF_EVENT_IOC_ENABLE = 0x2400;
export const PERF_EVENT_IOC_DISABLE = 0x2401;
