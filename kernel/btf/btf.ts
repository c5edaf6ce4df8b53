// BTF, the kernel's compact type information (include/uapi/linux/btf.h), as
// published in /sys/kernel/btf/vmlinux (CONFIG_DEBUG_INFO_BTF, Linux 5.4+; module
// BTF in /sys/kernel/btf/<module> since 5.11 is "split" BTF on top of vmlinux's).
// fentry/fexit programs name the function they attach to by its BTF type id, and
// the function's FUNC_PROTO says how many arguments the trampoline passes (and so
// where fexit finds the return value).
//
// The blob is read once and indexed (one offset per type id, in a typed array);
// names are decoded only when asked for, so indexing the ~100k types of a
// distribution kernel takes a few tens of milliseconds. The parser never trusts the
// blob: every offset is bounds-checked and malformed input raises BtfError.
import { readFileSync } from "node:fs";
import { bootNumber } from "../bpf/feature-cache.ts";
import { NotSupportedError } from "../sys/index.ts";

/** `BTF_KIND_*` (include/uapi/linux/btf.h). */
export const BtfKind = {
	UNKN: 0,
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
	DECL_TAG: 17, // Linux 5.16+
	TYPE_TAG: 18, // Linux 5.17+
	ENUM64: 19, // Linux 6.0+
} as const;

export const BTF_MAGIC = 0xeb9f;
const HEADER_MIN = 24;
/** typedef/const chains longer than this are treated as a loop (malformed blob). */
const MAX_CHAIN = 64;

/** A BTF blob is malformed; the message says where. */
export class BtfError extends Error {
	constructor(message: string) {
		super(`malformed BTF: ${message}.`);
		this.name = "BtfError";
	}
}

export interface BtfParam {
	/** Parameter name ("" when the compiler dropped it). */
	name: string;
	type: number;
	/** Bytes the argument occupies (0 for void, which BTF never has as a parameter). */
	size: number;
	/** C spelling of the type, for messages: `struct file *`, `size_t`. */
	typeName: string;
}

export interface BtfFunction {
	/** The FUNC's type id: BPF_PROG_LOAD's attach_btf_id for fentry/fexit. */
	id: number;
	name: string;
	/** 0 static, 1 global, 2 extern (`enum btf_func_linkage`). */
	linkage: number;
	protoId: number;
	params: BtfParam[];
	/** The prototype ends in `...`. */
	variadic: boolean;
	returnType: number;
	/** 0 for void. */
	returnSize: number;
	returnTypeName: string;
	/**
	 * u64 slots the arguments take in a tracing program's context: one per
	 * scalar or pointer, ceil(size / 8) for a struct or union passed by value (two
	 * for 9–16 bytes, none when empty; Linux 6.1+ on x86_64). fexit finds the
	 * return value in slot `argSlots`.
	 */
	argSlots: number;
}

function kindName(kind: number): string {
	for (const [k, v] of Object.entries(BtfKind)) if (v === kind) return k;
	return `kind ${kind}`;
}

export class Btf {
	/** Type id of the first type in this blob (1, or after the base's for split BTF). */
	readonly firstId: number;
	/** Number of types in this blob (ids firstId .. firstId + count - 1). */
	readonly count: number;
	/** The BTF this one extends (vmlinux for a module's split BTF). */
	readonly base: Btf | undefined;
	private readonly words: Uint32Array;
	private readonly offsets: Uint32Array;
	private readonly strings: Buffer;
	/** String offsets below this belong to the base. */
	private readonly strBase: number;
	private funcs: Map<string, number> | undefined;

	private constructor(words: Uint32Array, offsets: Uint32Array, strings: Buffer, base: Btf | undefined) {
		this.words = words;
		this.offsets = offsets;
		this.strings = strings;
		this.base = base;
		this.firstId = base ? base.lastId + 1 : 1;
		this.count = offsets.length;
		this.strBase = base ? base.strBase + base.strings.length : 0;
	}

	/** Highest type id known (including the base's). */
	get lastId(): number {
		return this.firstId + this.count - 1;
	}

	/** Read /sys/kernel/btf/vmlinux (or another raw BTF file). Throws NotSupportedError when absent. */
	static load(path = "/sys/kernel/btf/vmlinux", base?: Btf): Btf {
		let data: Buffer;
		try {
			data = readFileSync(path);
		} catch (e) {
			const code = (e as NodeJS.ErrnoException).code;
			throw new NotSupportedError(
				"kernel BTF type information",
				code === "ENOENT"
					? `${path} does not exist (the kernel was built without CONFIG_DEBUG_INFO_BTF), so fentry/fexit cannot be used`
					: `${path} could not be read (${code ?? (e as Error).message})`,
			);
		}
		return Btf.parse(data, base);
	}

	/** Index a raw BTF blob (the format of /sys/kernel/btf/*; not an ELF .BTF section's wrapper). */
	static parse(data: Uint8Array, base?: Btf): Btf {
		const buf = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
		if (buf.length < HEADER_MIN) throw new BtfError(`${buf.length} bytes is shorter than the header`);
		const magic = buf.readUInt16LE(0);
		if (magic !== BTF_MAGIC) {
			if (magic === 0x9feb) throw new BtfError("the blob is big-endian; only little-endian BTF is supported");
			throw new BtfError(`bad magic 0x${magic.toString(16)} (expected 0xeb9f)`);
		}
		const version = buf.readUInt8(2);
		if (version !== 1) throw new BtfError(`unknown version ${version}`);
		const hdrLen = buf.readUInt32LE(4);
		if (hdrLen < HEADER_MIN || hdrLen > buf.length) throw new BtfError(`header length ${hdrLen} is out of range`);
		const typeOff = buf.readUInt32LE(8);
		const typeLen = buf.readUInt32LE(12);
		const strOff = buf.readUInt32LE(16);
		const strLen = buf.readUInt32LE(20);
		const body = buf.length - hdrLen;
		if (typeOff + typeLen > body) throw new BtfError("the type section runs past the end");
		if (strOff + strLen > body) throw new BtfError("the string section runs past the end");
		if (typeLen % 4 !== 0 || typeOff % 4 !== 0) throw new BtfError("the type section is not 4-byte aligned");
		if (strOff < typeOff + typeLen && typeOff < strOff + strLen)
			throw new BtfError("the type and string sections overlap");
		const strings = buf.subarray(hdrLen + strOff, hdrLen + strOff + strLen);
		if (!base && (strLen === 0 || strings[0] !== 0))
			throw new BtfError("the string section does not start with an empty string");
		if (strLen > 0 && strings[strLen - 1] !== 0) throw new BtfError("the string section is not NUL-terminated");

		// A Uint32Array view wants 4-byte alignment of the underlying memory; copy if not.
		const start = buf.byteOffset + hdrLen + typeOff;
		const words =
			start % 4 === 0
				? new Uint32Array(buf.buffer, start, typeLen / 4)
				: new Uint32Array(new Uint8Array(buf.subarray(hdrLen + typeOff, hdrLen + typeOff + typeLen)).buffer);
		if (new Uint8Array(new Uint16Array([1]).buffer)[0] !== 1) throw new BtfError("the host is big-endian");

		let offsets = new Uint32Array(1 << 14);
		let n = 0;
		let w = 0;
		const total = words.length;
		while (w < total) {
			if (w + 3 > total) throw new BtfError(`type #${n + 1} is truncated`);
			const info = words[w + 1];
			const kind = (info >>> 24) & 0x1f;
			const vlen = info & 0xffff;
			let extra: number;
			switch (kind) {
				case BtfKind.INT:
				case BtfKind.VAR:
				case BtfKind.DECL_TAG:
					extra = 1;
					break;
				case BtfKind.PTR:
				case BtfKind.FWD:
				case BtfKind.TYPEDEF:
				case BtfKind.VOLATILE:
				case BtfKind.CONST:
				case BtfKind.RESTRICT:
				case BtfKind.FUNC:
				case BtfKind.FLOAT:
				case BtfKind.TYPE_TAG:
					extra = 0;
					break;
				case BtfKind.ARRAY:
					extra = 3;
					break;
				case BtfKind.STRUCT:
				case BtfKind.UNION:
				case BtfKind.DATASEC:
				case BtfKind.ENUM64:
					extra = 3 * vlen;
					break;
				case BtfKind.ENUM:
				case BtfKind.FUNC_PROTO:
					extra = 2 * vlen;
					break;
				default:
					throw new BtfError(`type #${n + 1} has unknown kind ${kind}`);
			}
			if (w + 3 + extra > total) throw new BtfError(`type #${n + 1} (${kindName(kind)}) runs past the type section`);
			if (n === offsets.length) {
				const grown = new Uint32Array(offsets.length * 2);
				grown.set(offsets);
				offsets = grown;
			}
			offsets[n++] = w;
			w += 3 + extra;
		}
		return new Btf(words, offsets.slice(0, n), strings, base);
	}

	/** Whether `id` names a type (0 is void and always valid). */
	has(id: number): boolean {
		return id >= 0 && id <= this.lastId;
	}

	/** `BtfKind` of a type; void (0) is UNKN. */
	kind(id: number): number {
		if (id === 0) return BtfKind.UNKN;
		const o = this.own(id);
		if (o === undefined) return this.base!.kind(id);
		return (this.words[o + 1] >>> 24) & 0x1f;
	}

	/** A type's name ("" when anonymous). */
	name(id: number): string {
		if (id === 0) return "void";
		const o = this.own(id);
		if (o === undefined) return this.base!.name(id);
		return this.string(this.words[o]);
	}

	/** The string at `offset` in the string section (the base's for low offsets of split BTF). */
	string(offset: number): string {
		if (offset < this.strBase) return this.base!.string(offset);
		const at = offset - this.strBase;
		if (at >= this.strings.length) throw new BtfError(`string offset ${offset} is out of range`);
		const end = this.strings.indexOf(0, at);
		return this.strings.toString("latin1", at, end < 0 ? this.strings.length : end);
	}

	/** Type id of the function called `name` (BTF_KIND_FUNC), or undefined. */
	functionId(name: string): number | undefined {
		if (!this.funcs) {
			this.funcs = new Map();
			for (let i = 0; i < this.count; i++) {
				const o = this.offsets[i];
				if (((this.words[o + 1] >>> 24) & 0x1f) !== BtfKind.FUNC) continue;
				const fname = this.string(this.words[o]);
				// A name can appear twice (static functions in different files); keep the first.
				if (!this.funcs.has(fname)) this.funcs.set(fname, this.firstId + i);
			}
		}
		return this.funcs.get(name) ?? this.base?.functionId(name);
	}

	/**
	 * Byte offset of `member` in `struct name` (the first struct of that name with
	 * that member, looking through anonymous struct/union members); undefined
	 * when BTF does not describe it or the member is a bitfield.
	 */
	memberOffset(struct: string, member: string): number | undefined {
		for (let i = 0; i < this.count; i++) {
			const o = this.offsets[i];
			if (((this.words[o + 1] >>> 24) & 0x1f) !== BtfKind.STRUCT || this.string(this.words[o]) !== struct) continue;
			const at = this.#findMember(this.firstId + i, member, 0);
			if (at !== undefined) return at;
		}
		return this.base?.memberOffset(struct, member);
	}

	#findMember(id: number, member: string, depth: number): number | undefined {
		const kind = this.kind(id);
		if ((kind !== BtfKind.STRUCT && kind !== BtfKind.UNION) || depth > 8) return undefined;
		const { words, at } = this.locate(id);
		const info = words[at + 1];
		const bitfields = info >>> 31 === 1;
		for (let m = 0; m < (info & 0xffff); m++) {
			const nameOff = words[at + 3 + 3 * m];
			const bits = bitfields ? words[at + 5 + 3 * m] & 0xffffff : words[at + 5 + 3 * m];
			if (bits % 8 !== 0) continue;
			if (nameOff === 0) {
				const inner = this.#findMember(this.resolve(words[at + 4 + 3 * m]), member, depth + 1);
				if (inner !== undefined) return bits / 8 + inner;
			} else if (this.string(nameOff) === member) return bits / 8;
		}
		return undefined;
	}

	/** Names of every function this blob describes (not the base's). */
	functionNames(): string[] {
		this.functionId("");
		return [...this.funcs!.keys()];
	}

	/** The function called `name`, with its prototype; undefined when BTF does not describe it. */
	findFunction(name: string): BtfFunction | undefined {
		const id = this.functionId(name);
		return id === undefined ? undefined : this.func(id);
	}

	/** The FUNC type `id` with its prototype. Throws BtfError when `id` is not a FUNC. */
	func(id: number): BtfFunction {
		if (this.kind(id) !== BtfKind.FUNC) throw new BtfError(`type ${id} is a ${kindName(this.kind(id))}, not a FUNC`);
		const [nameOff, info, protoId] = this.header(id);
		if (this.kind(protoId) !== BtfKind.FUNC_PROTO) {
			throw new BtfError(`function ${this.string(nameOff)} (type ${id}) does not point at a FUNC_PROTO`);
		}
		const [, pinfo, ret] = this.header(protoId);
		const { words, at } = this.locate(protoId);
		const params: BtfParam[] = [];
		let variadic = false;
		let argSlots = 0;
		const vlen = pinfo & 0xffff;
		for (let i = 0; i < vlen; i++) {
			const pname = words[at + 3 + 2 * i];
			const ptype = words[at + 4 + 2 * i];
			if (i === vlen - 1 && pname === 0 && ptype === 0) {
				variadic = true;
				break;
			}
			const size = this.sizeOf(ptype);
			params.push({ name: this.string(pname), type: ptype, size, typeName: this.typeName(ptype) });
			argSlots += this.isAggregate(ptype) ? Math.ceil(size / 8) : 1;
		}
		return {
			id,
			name: this.string(nameOff),
			linkage: info & 0xffff,
			protoId,
			params,
			variadic,
			returnType: ret,
			returnSize: this.sizeOf(ret),
			returnTypeName: this.typeName(ret),
			argSlots,
		};
	}

	/** `id` with typedefs and qualifiers (const, volatile, restrict, type tags) peeled off. */
	resolve(id: number): number {
		for (let depth = 0; depth < MAX_CHAIN; depth++) {
			switch (this.kind(id)) {
				case BtfKind.TYPEDEF:
				case BtfKind.VOLATILE:
				case BtfKind.CONST:
				case BtfKind.RESTRICT:
				case BtfKind.TYPE_TAG:
					id = this.header(id)[2];
					continue;
				default:
					return id;
			}
		}
		throw new BtfError(`type ${id} is part of a loop of typedefs or qualifiers`);
	}

	/** A struct or union passed by value takes ceil(size / 8) slots (none when empty); scalars one. */
	private isAggregate(id: number): boolean {
		const k = this.kind(this.resolve(id));
		return k === BtfKind.STRUCT || k === BtfKind.UNION;
	}

	/** Size in bytes of a value of type `id` (typedefs and qualifiers resolved; pointers are 8). */
	sizeOf(id: number): number {
		for (let depth = 0; depth < MAX_CHAIN; depth++) {
			if (id === 0) return 0;
			const kind = this.kind(id);
			const [, , sizeOrType] = this.header(id);
			switch (kind) {
				case BtfKind.INT:
				case BtfKind.STRUCT:
				case BtfKind.UNION:
				case BtfKind.ENUM:
				case BtfKind.ENUM64:
				case BtfKind.FLOAT:
				case BtfKind.DATASEC:
					return sizeOrType;
				case BtfKind.PTR:
					return 8;
				case BtfKind.ARRAY: {
					const { words, at } = this.locate(id);
					return words[at + 5] * this.sizeOf(words[at + 3]);
				}
				case BtfKind.TYPEDEF:
				case BtfKind.VOLATILE:
				case BtfKind.CONST:
				case BtfKind.RESTRICT:
				case BtfKind.TYPE_TAG:
				case BtfKind.VAR:
					id = sizeOrType;
					continue;
				default:
					return 0;
			}
		}
		throw new BtfError(`type ${id} is part of a loop of typedefs or qualifiers`);
	}

	/** The C spelling of a type, for messages: `const char *`, `struct file *`, `loff_t`. */
	typeName(id: number, depth = 0): string {
		if (depth > MAX_CHAIN) throw new BtfError(`type ${id} is part of a loop`);
		if (id === 0) return "void";
		const kind = this.kind(id);
		const [nameOff, info, ref] = this.header(id);
		const name = this.string(nameOff);
		switch (kind) {
			case BtfKind.INT:
			case BtfKind.FLOAT:
			case BtfKind.TYPEDEF:
				return name;
			case BtfKind.STRUCT:
				return `struct ${name || "(anon)"}`;
			case BtfKind.UNION:
				return `union ${name || "(anon)"}`;
			case BtfKind.ENUM:
			case BtfKind.ENUM64:
				return `enum ${name || "(anon)"}`;
			case BtfKind.FWD:
				return `${info >>> 31 ? "union" : "struct"} ${name}`;
			case BtfKind.PTR:
				return this.kind(ref) === BtfKind.FUNC_PROTO ? "void (*)()" : `${this.typeName(ref, depth + 1)} *`;
			case BtfKind.CONST:
				return `const ${this.typeName(ref, depth + 1)}`;
			case BtfKind.VOLATILE:
				return `volatile ${this.typeName(ref, depth + 1)}`;
			case BtfKind.RESTRICT:
				return `${this.typeName(ref, depth + 1)} restrict`;
			case BtfKind.TYPE_TAG:
				return this.typeName(ref, depth + 1);
			case BtfKind.ARRAY: {
				const { words, at } = this.locate(id);
				return `${this.typeName(words[at + 3], depth + 1)}[${words[at + 5]}]`;
			}
			case BtfKind.FUNC_PROTO:
				return "function";
			default:
				return name || kindName(kind).toLowerCase();
		}
	}

	/** Index into this blob's own offsets, or undefined when `id` belongs to the base. */
	private own(id: number): number | undefined {
		if (id < this.firstId) {
			if (!this.base) throw new BtfError(`type id ${id} is out of range`);
			return undefined;
		}
		const i = id - this.firstId;
		if (i >= this.count) throw new BtfError(`type id ${id} is out of range (the last is ${this.lastId})`);
		return this.offsets[i];
	}

	locate(id: number): { words: Uint32Array; at: number } {
		const o = this.own(id);
		if (o === undefined) return this.base!.locate(id);
		return { words: this.words, at: o };
	}

	/** name_off, info, size_or_type of a type. */
	header(id: number): [number, number, number] {
		const { words, at } = this.locate(id);
		return [words[at], words[at + 1], words[at + 2]];
	}
}

let vmlinux: Btf | undefined;

/**
 * The offset of `struct`'s `member` in the running kernel, remembered per boot
 * (kernel/bpf/feature-cache.ts) so that most starts never parse the kernel's BTF.
 */
export function kernelMemberOffset(struct: string, member: string): number | undefined {
	return bootNumber(`btf:${struct}.${member}`, () => vmlinuxBtf().memberOffset(struct, member));
}

/** /sys/kernel/btf/vmlinux, indexed once per process. Throws NotSupportedError when absent. */
export function vmlinuxBtf(): Btf {
	vmlinux ??= Btf.load();
	return vmlinux;
}
