// Task-local storage (BPF_MAP_TYPE_TASK_STORAGE, Linux 5.11+): one value per
// thread, made by the first bpf_task_storage_get(…, F_CREATE) and freed when the
// thread exits. A sleepable program's working memory lives here instead of in a
// per-CPU array: while one firing sleeps (a page fault in bpf_copy_from_user),
// another task can run a program on the same CPU, and a per-CPU buffer would be
// overwritten under the sleeping one. The kernel insists on BTF for the key (a
// 32-bit int) and the value; the blob here describes `int` and `char[size]`.
import { sys } from "../sys/index.ts";
import { BPF_BTF_LOAD } from "./func-info.ts";
import { BpfMap, MapFlags, MapType } from "./map.ts";
import { NativeMemory } from "./native.ts";

const BTF_MAGIC = 0xeb9f;
const KIND_INT = 1;
const KIND_ARRAY = 3;
const INT_SIGNED = 1 << 24;

/** BTF with type 1 `int`, type 2 `char`, type 3 `char[size]`. */
export function storageBtf(size: number): Buffer {
	const strings = Buffer.from("\0int\0char\0", "latin1");
	const t = Buffer.alloc(16 + 16 + 24);
	t.writeUInt32LE(1, 0); // "int"
	t.writeUInt32LE(KIND_INT << 24, 4);
	t.writeUInt32LE(4, 8);
	t.writeUInt32LE(INT_SIGNED | 32, 12);
	t.writeUInt32LE(5, 16); // "char"
	t.writeUInt32LE(KIND_INT << 24, 20);
	t.writeUInt32LE(1, 24);
	t.writeUInt32LE(8, 28);
	t.writeUInt32LE(KIND_ARRAY << 24, 36); // anonymous char[size]
	t.writeUInt32LE(2, 44); // element type
	t.writeUInt32LE(1, 48); // index type
	t.writeUInt32LE(size, 52);
	const hdr = Buffer.alloc(24);
	hdr.writeUInt16LE(BTF_MAGIC, 0);
	hdr[2] = 1;
	hdr.writeUInt32LE(24, 4);
	hdr.writeUInt32LE(t.length, 12);
	hdr.writeUInt32LE(t.length, 16);
	hdr.writeUInt32LE(strings.length, 20);
	return Buffer.concat([hdr, t, strings]);
}

/** A task-storage map of `valueSize`-byte values. */
export function taskStorageMap(valueSize: number, name: string): BpfMap {
	const blob = storageBtf(valueSize);
	const mem = NativeMemory.alloc(blob.length, `BTF for map ${name}`);
	let btfFd = -1;
	try {
		blob.copy(mem.buf);
		const attr = Buffer.alloc(32);
		attr.writeBigUInt64LE(mem.addr, 0);
		attr.writeUInt32LE(blob.length, 16);
		btfFd = sys().bpf(BPF_BTF_LOAD, attr, `loading the BTF of map ${name}`);
		return BpfMap.create({
			type: MapType.TASK_STORAGE,
			keySize: 4,
			valueSize,
			maxEntries: 0,
			flags: MapFlags.NO_PREALLOC,
			name,
			btf: { fd: btfFd, keyTypeId: 1, valueTypeId: 3 },
		});
	} finally {
		mem.free();
		// The map holds its own reference to the BTF.
		if (btfFd >= 0) sys().close(btfFd);
	}
}
