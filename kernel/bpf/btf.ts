// A minimal, internal reader of the kernel's BTF (/sys/kernel/btf/vmlinux): enough to find
// the type id of a kernel function, which fentry/fexit programs name in
// attach_btf_id. Format: include/uapi/linux/btf.h (Documentation/bpf/btf.rst).
// Only the fentry feature probe uses it; kernel/btf is the full reader for everyone else.
import { readFileSync } from "node:fs";

export const VMLINUX_BTF = "/sys/kernel/btf/vmlinux";

const BTF_MAGIC = 0xeb9f;

/** BTF kinds (btf_type.info bits 24–28). */
export const BtfKind = {
	INT: 1,
	PTR: 2,
	ARRAY: 3,
	STRUCT: 4,
	UNION: 5,
	ENUM: 6,
	FWD: 7,
	TYPEDEF: 8,
	VOLATILE: 9,
	CONST: 10,
	RESTRICT: 11,
	FUNC: 12,
	FUNC_PROTO: 13,
	VAR: 14,
	DATASEC: 15,
	FLOAT: 16,
	DECL_TAG: 17,
	TYPE_TAG: 18,
	ENUM64: 19,
} as const;

/** Bytes that follow the 12-byte btf_type header, by kind, given vlen. */
function trailing(kind: number, vlen: number): number {
	switch (kind) {
		case BtfKind.INT:
		case BtfKind.VAR:
		case BtfKind.DECL_TAG:
			return 4;
		case BtfKind.ARRAY:
			return 12;
		case BtfKind.STRUCT:
		case BtfKind.UNION:
		case BtfKind.DATASEC:
		case BtfKind.ENUM64:
			return 12 * vlen;
		case BtfKind.ENUM:
		case BtfKind.FUNC_PROTO:
			return 8 * vlen;
		case BtfKind.PTR:
		case BtfKind.FWD:
		case BtfKind.TYPEDEF:
		case BtfKind.VOLATILE:
		case BtfKind.CONST:
		case BtfKind.RESTRICT:
		case BtfKind.FUNC:
		case BtfKind.FLOAT:
		case BtfKind.TYPE_TAG:
			return 0;
	}
	throw new Error(`unknown BTF kind ${kind}`);
}

export interface BtfType {
	id: number;
	kind: number;
	name: string;
}

/** Type names by kind, read once from a BTF blob. */
export class Btf {
	private readonly byKindName = new Map<string, number>();
	readonly typeCount: number;

	constructor(blob: Buffer) {
		if (blob.length < 24 || blob.readUInt16LE(0) !== BTF_MAGIC) throw new Error("not a little-endian BTF blob.");
		const hdrLen = blob.readUInt32LE(4);
		const typeOff = hdrLen + blob.readUInt32LE(8);
		const typeLen = blob.readUInt32LE(12);
		const strOff = hdrLen + blob.readUInt32LE(16);
		const strLen = blob.readUInt32LE(20);
		if (typeOff + typeLen > blob.length || strOff + strLen > blob.length)
			throw new Error("BTF sections run past the blob.");
		const name = (off: number): string => {
			if (off === 0 || off >= strLen) return "";
			const start = strOff + off;
			const end = blob.indexOf(0, start);
			return blob.toString("latin1", start, end < 0 || end > strOff + strLen ? strOff + strLen : end);
		};
		let id = 1;
		let at = typeOff;
		const end = typeOff + typeLen;
		while (at + 12 <= end) {
			const nameOff = blob.readUInt32LE(at);
			const info = blob.readUInt32LE(at + 4);
			const kind = (info >>> 24) & 0x1f;
			const vlen = info & 0xffff;
			if (nameOff !== 0) {
				const key = `${kind}:${name(nameOff)}`;
				if (!this.byKindName.has(key)) this.byKindName.set(key, id);
			}
			at += 12 + trailing(kind, vlen);
			id++;
		}
		this.typeCount = id - 1;
	}

	/** The id of the first type of `kind` called `name`. */
	find(kind: number, name: string): number | undefined {
		return this.byKindName.get(`${kind}:${name}`);
	}

	/** The id of kernel function `name` (a BTF FUNC), as fentry/fexit's attach_btf_id wants. */
	findFunc(name: string): number | undefined {
		return this.find(BtfKind.FUNC, name);
	}
}

let vmlinux: Btf | undefined;

/** The kernel's own BTF, parsed once (throws if the kernel publishes none). */
export function vmlinuxBtf(): Btf {
	if (!vmlinux) vmlinux = new Btf(readFileSync(VMLINUX_BTF));
	return vmlinux;
}
