// A small BTF writer for tests: builds raw BTF blobs the kernel itself accepts
// (BPF_BTF_LOAD checks them), so the parser can be tested on the host, which has
// no /sys/kernel/btf/vmlinux.
import { BTF_MAGIC, BtfKind } from "../../../kernel/btf/index.ts";

export class BtfBuilder {
	private readonly words: number[] = [];
	private readonly strs: Buffer[] = [Buffer.from([0])];
	private strLen = 1;
	private readonly strAt = new Map<string, number>();
	private next = 1;

	str(s: string): number {
		if (s === "") return 0;
		const known = this.strAt.get(s);
		if (known !== undefined) return known;
		const at = this.strLen;
		const b = Buffer.from(`${s}\0`, "latin1");
		this.strs.push(b);
		this.strLen += b.length;
		this.strAt.set(s, at);
		return at;
	}

	private type(name: string, kind: number, vlen: number, sizeOrType: number, extra: number[] = [], kflag = 0): number {
		this.words.push(
			this.str(name),
			((kflag & 1) << 31) | ((kind & 0x1f) << 24) | (vlen & 0xffff),
			sizeOrType,
			...extra,
		);
		return this.next++;
	}

	int(name: string, size: number, signed = false): number {
		return this.type(name, BtfKind.INT, 0, size, [((signed ? 1 : 0) << 24) | (size * 8)]);
	}
	ptr(to: number): number {
		return this.type("", BtfKind.PTR, 0, to);
	}
	typedef(name: string, to: number): number {
		return this.type(name, BtfKind.TYPEDEF, 0, to);
	}
	const(to: number): number {
		return this.type("", BtfKind.CONST, 0, to);
	}
	volatile(to: number): number {
		return this.type("", BtfKind.VOLATILE, 0, to);
	}
	fwd(name: string, union = false): number {
		return this.type(name, BtfKind.FWD, 0, 0, [], union ? 1 : 0);
	}
	array(elem: number, index: number, n: number): number {
		return this.type("", BtfKind.ARRAY, 0, 0, [elem, index, n]);
	}
	struct(
		name: string,
		size: number,
		members: { name: string; type: number; bitOffset: number }[],
		union = false,
	): number {
		const extra = members.flatMap((m) => [this.str(m.name), m.type, m.bitOffset]);
		return this.type(name, union ? BtfKind.UNION : BtfKind.STRUCT, members.length, size, extra);
	}
	enum(name: string, size: number, values: [string, number][]): number {
		return this.type(
			name,
			BtfKind.ENUM,
			values.length,
			size,
			values.flatMap(([n, v]) => [this.str(n), v >>> 0]),
		);
	}
	funcProto(ret: number, params: { name: string; type: number }[], variadic = false): number {
		const all = variadic ? [...params, { name: "", type: 0 }] : params;
		return this.type(
			"",
			BtfKind.FUNC_PROTO,
			all.length,
			ret,
			all.flatMap((p) => [this.str(p.name), p.type]),
		);
	}
	func(name: string, proto: number, linkage = 1): number {
		return this.type(name, BtfKind.FUNC, linkage, proto);
	}

	build(): Buffer {
		const types = Buffer.alloc(this.words.length * 4);
		this.words.forEach((w, i) => {
			types.writeUInt32LE(w >>> 0, i * 4);
		});
		const strings = Buffer.concat(this.strs);
		const hdr = Buffer.alloc(24);
		hdr.writeUInt16LE(BTF_MAGIC, 0);
		hdr.writeUInt8(1, 2);
		hdr.writeUInt32LE(24, 4);
		hdr.writeUInt32LE(0, 8);
		hdr.writeUInt32LE(types.length, 12);
		hdr.writeUInt32LE(types.length, 16);
		hdr.writeUInt32LE(strings.length, 20);
		return Buffer.concat([hdr, types, strings]);
	}
}
