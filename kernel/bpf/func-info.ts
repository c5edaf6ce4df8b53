// BTF func_info for programs with subprograms. The verifier insists on it for
// callbacks (an ld_imm64 of a subprogram address, as bpf_loop takes: "missing
// btf func_info", Linux 5.13+), and once given it must name every subprogram.
// Static functions are not checked against their BTF signature, so one
// `void f(void)` prototype serves them all: the blob is a FUNC_PROTO and one
// static FUNC per subprogram, loaded with BPF_BTF_LOAD (which needs no kernel
// BTF: it works on kernels built without CONFIG_DEBUG_INFO_BTF).
import { sys } from "../sys/index.ts";
import { NativeMemory } from "./native.ts";

export const BPF_BTF_LOAD = 18;
const BTF_MAGIC = 0xeb9f;
const KIND_FUNC = 12;
const KIND_FUNC_PROTO = 13;
/** struct bpf_func_info { u32 insn_off; u32 type_id; } */
export const FUNC_INFO_SIZE = 8;

/** The BTF blob: type 1 is `void (void)`, types 2.. are the functions f0, f1, … */
export function funcInfoBtf(count: number): Buffer {
	const names = Array.from({ length: count }, (_, i) => `f${i}`);
	const strings = Buffer.from(`\0${names.join("\0")}\0`, "latin1");
	const types = Buffer.alloc(12 * (1 + count));
	types.writeUInt32LE(0, 0);
	types.writeUInt32LE(KIND_FUNC_PROTO << 24, 4);
	types.writeUInt32LE(0, 8); // returns void
	let nameAt = 1;
	for (let i = 0; i < count; i++) {
		const o = 12 * (1 + i);
		types.writeUInt32LE(nameAt, o);
		types.writeUInt32LE(KIND_FUNC << 24, o + 4); // linkage 0: static
		types.writeUInt32LE(1, o + 8);
		nameAt += names[i].length + 1;
	}
	const hdr = Buffer.alloc(24);
	hdr.writeUInt16LE(BTF_MAGIC, 0);
	hdr[2] = 1; // version
	hdr.writeUInt32LE(24, 4);
	hdr.writeUInt32LE(0, 8);
	hdr.writeUInt32LE(types.length, 12);
	hdr.writeUInt32LE(types.length, 16);
	hdr.writeUInt32LE(strings.length, 20);
	return Buffer.concat([hdr, types, strings]);
}

/** func_info records for subprograms starting at `starts` (slots, ascending, first 0). */
export function funcInfoRecords(starts: readonly number[]): Buffer {
	const out = Buffer.alloc(FUNC_INFO_SIZE * starts.length);
	starts.forEach((at, i) => {
		out.writeUInt32LE(at, i * FUNC_INFO_SIZE);
		out.writeUInt32LE(2 + i, i * FUNC_INFO_SIZE + 4);
	});
	return out;
}

/** Loads the BTF for `count` subprograms; the caller closes the fd after loading the program. */
export function loadFuncInfoBtf(count: number, what: string): number {
	const blob = funcInfoBtf(count);
	const mem = NativeMemory.alloc(blob.length, `BTF for ${what}`);
	try {
		blob.copy(mem.buf);
		const attr = Buffer.alloc(32);
		attr.writeBigUInt64LE(mem.addr, 0);
		attr.writeUInt32LE(blob.length, 16);
		return sys().bpf(BPF_BTF_LOAD, attr, `loading the BTF function table of ${what}`);
	} finally {
		mem.free();
	}
}
