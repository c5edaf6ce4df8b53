// Native memory with a stable address, for kernel ABI fields that hold pointers
// (perf_event_attr.config1 = uprobe path, uprobe_multi's offset and cookie arrays).
// An anonymous mmap keeps the bytes put for as long as the caller holds it.
import { sys } from "./index.ts";

const MAP_PRIVATE = 0x02;
const MAP_ANONYMOUS = 0x20;
const PAGE = 4096;

export interface NativeMemory {
	readonly addr: bigint;
	readonly length: number;
	free(): void;
}

/** Copy `data` into fresh native memory; `free()` releases it (idempotent). */
export function nativeCopy(data: Uint8Array): NativeMemory {
	const length = Math.max(PAGE, Math.ceil(data.length / PAGE) * PAGE);
	const s = sys();
	const addr = s.mmap(length, 3, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	new Uint8Array(s.view(addr, length), 0, data.length).set(data);
	let freed = false;
	return {
		addr,
		length,
		free() {
			if (freed) return;
			freed = true;
			s.munmap(addr, length);
		},
	};
}

/** A NUL-terminated C string in native memory. */
export function nativeCString(text: string): NativeMemory {
	const b = Buffer.alloc(Buffer.byteLength(text) + 1);
	b.write(text);
	return nativeCopy(b);
}

/** An array of u64 values in native memory. */
export function nativeU64Array(values: readonly (bigint | number)[]): NativeMemory {
	const b = Buffer.alloc(Math.max(8, values.length * 8));
	values.forEach((v, i) => {
		b.writeBigUInt64LE(BigInt.asUintN(64, BigInt(v)), i * 8);
	});
	return nativeCopy(b);
}
