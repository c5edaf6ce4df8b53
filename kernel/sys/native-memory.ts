// Native memory with a stable address, for the kernel ABI fields that hold
// pointers: bpf(2) attributes (instructions, keys, values, log buffers) and
// attach attributes (perf_event_attr.config1 = uprobe path, uprobe_multi's
// offset and cookie arrays). Node Buffers may move and expose no address, so
// we take anonymous pages from mmap(2) and alias them with a Buffer; each block
// is recorded as an open object until freed.
import { readFileSync } from "node:fs";
import { sys } from "./index.ts";
import { type OpenObject, track, untrack } from "./open-objects.ts";
import { PROT_READ, PROT_WRITE } from "./sys.ts";

const MAP_PRIVATE = 0x02;
const MAP_ANONYMOUS = 0x20; // same value on x86_64 and aarch64

let cachedPageSize: number | undefined;

/** The kernel's page size, from the auxiliary vector (AT_PAGESZ); 4096 if unreadable. */
export function pageSize(): number {
	if (cachedPageSize !== undefined) return cachedPageSize;
	cachedPageSize = 4096;
	try {
		const auxv = readFileSync("/proc/self/auxv");
		for (let off = 0; off + 16 <= auxv.length; off += 16) {
			const type = auxv.readBigUInt64LE(off);
			if (type === 0n) break;
			if (type === 6n) {
				cachedPageSize = Number(auxv.readBigUInt64LE(off + 8));
				break;
			}
		}
	} catch {
		// /proc may be missing in odd sandboxes; 4096 is right for x86_64.
	}
	return cachedPageSize;
}

export function roundUp(n: number, to: number): number {
	return Math.ceil(n / to) * to;
}

/** A block of anonymous, page-aligned native memory. */
export class NativeMemory {
	readonly addr: bigint;
	readonly size: number;
	/** Aliases the native memory; never use it after `free()`. */
	readonly buf: Buffer;
	private token: OpenObject | undefined;

	private constructor(addr: bigint, size: number, what: string) {
		this.addr = addr;
		this.size = size;
		this.buf = Buffer.from(sys().view(addr, size));
		this.token = track("memory", what);
	}

	/** At least `size` bytes (rounded up to whole pages), zero-filled by the kernel. */
	static alloc(size: number, what = "scratch"): NativeMemory {
		const len = roundUp(Math.max(size, 1), pageSize());
		const addr = sys().mmap(len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		return new NativeMemory(addr, len, what);
	}

	/** Address of byte `offset` of this block. */
	at(offset: number): bigint {
		return this.addr + BigInt(offset);
	}

	get freed(): boolean {
		return this.token === undefined;
	}

	/** Releases the block (idempotent). */
	free(): void {
		if (!this.token) return;
		untrack(this.token);
		this.token = undefined;
		sys().munmap(this.addr, this.size);
	}
}

/** Copy `data` into fresh native memory; `free()` releases it. */
export function nativeCopy(data: Uint8Array, what = "attach attribute"): NativeMemory {
	const mem = NativeMemory.alloc(data.length, what);
	mem.buf.set(data);
	return mem;
}

/** A NUL-terminated C string in native memory. */
export function nativeCString(text: string): NativeMemory {
	const b = Buffer.alloc(Buffer.byteLength(text) + 1);
	b.write(text);
	return nativeCopy(b, "C string");
}

/** An array of u64 values in native memory. */
export function nativeU64Array(values: readonly (bigint | number)[]): NativeMemory {
	const b = Buffer.alloc(Math.max(8, values.length * 8));
	values.forEach((v, i) => {
		b.writeBigUInt64LE(BigInt.asUintN(64, BigInt(v)), i * 8);
	});
	return nativeCopy(b, "u64 array");
}
