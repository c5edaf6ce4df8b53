// The kernel's C types as D expressions need them (`curthread->real_parent->pid`,
// `((struct file *)arg0)->f_pos`): a type id described after its typedefs and
// qualifiers, a struct or union found by name, and a member found by name (through
// anonymous members) with its offset and, for a bit-field, its bits.
import { type Btf, BtfKind } from "./btf.ts";

export type KType =
	| { k: "int"; size: 1 | 2 | 4 | 8; signed: boolean; name: string }
	/** A pointer: `to` is the pointee's type id (0: void). */
	| { k: "ptr"; to: number; name: string }
	| { k: "array"; elem: number; n: number; size: number; name: string }
	| { k: "sou"; id: number; union: boolean; size: number; name: string }
	/** Anything else (functions, floats, forward declarations): no value D reads. */
	| { k: "other"; size: number; name: string };

export interface KMember {
	name: string;
	type: number;
	/** Byte offset from the start of the outermost struct asked about. */
	offset: number;
	/** Bits of a bit-field (0: not one). */
	bits: number;
}

const INT_SIZES = new Set([1, 2, 4, 8]);

/** Describe type `id` (typedefs and qualifiers peeled off). */
export function describeType(btf: Btf, id: number): KType {
	const name = btf.typeName(id);
	const r = btf.resolve(id);
	const kind = btf.kind(r);
	const [, info, sizeOrType] = r === 0 ? [0, 0, 0] : btf.header(r);
	switch (kind) {
		case BtfKind.INT: {
			const { words, at } = btf.locate(r);
			const encoding = (words[at + 3]! >>> 24) & 0x0f;
			if (!INT_SIZES.has(sizeOrType)) return { k: "other", size: sizeOrType, name };
			return { k: "int", size: sizeOrType as 1 | 2 | 4 | 8, signed: (encoding & 1) === 1, name };
		}
		case BtfKind.ENUM:
		case BtfKind.ENUM64:
			if (!INT_SIZES.has(sizeOrType)) return { k: "other", size: sizeOrType, name };
			return { k: "int", size: sizeOrType as 1 | 2 | 4 | 8, signed: info >>> 31 === 1, name };
		case BtfKind.PTR:
			return { k: "ptr", to: sizeOrType, name };
		case BtfKind.ARRAY: {
			const { words, at } = btf.locate(r);
			return { k: "array", elem: words[at + 3]!, n: words[at + 5]!, size: btf.sizeOf(r), name };
		}
		case BtfKind.STRUCT:
		case BtfKind.UNION:
			return { k: "sou", id: r, union: kind === BtfKind.UNION, size: sizeOrType, name };
		default:
			return { k: "other", size: r === 0 ? 0 : btf.sizeOf(r), name };
	}
}

const byName = new WeakMap<Btf, Map<string, number>>();

/** The type id of `struct name` or `union name` (its full definition, not a forward one). */
export function findStruct(btf: Btf, kind: "struct" | "union", name: string): number | undefined {
	let index = byName.get(btf);
	if (!index) {
		index = new Map();
		for (let id = btf.firstId; id <= btf.lastId; id++) {
			const k = btf.kind(id);
			if (k !== BtfKind.STRUCT && k !== BtfKind.UNION) continue;
			const key = `${k === BtfKind.STRUCT ? "struct" : "union"} ${btf.name(id)}`;
			if (!index.has(key)) index.set(key, id);
		}
		byName.set(btf, index);
	}
	return index.get(`${kind} ${name}`) ?? (btf.base ? findStruct(btf.base, kind, name) : undefined);
}

/** The member `name` of the struct or union `id` (looking into anonymous members). */
export function findMember(btf: Btf, id: number, name: string): KMember | undefined {
	return structMembers(btf, id).find((m) => m.name === name);
}

/** Every named member of the struct or union `id`, in order (anonymous members' own members in their place). */
export function structMembers(btf: Btf, id: number, depth = 0): KMember[] {
	const kind = btf.kind(id);
	if ((kind !== BtfKind.STRUCT && kind !== BtfKind.UNION) || depth > 8) return [];
	const { words, at } = btf.locate(id);
	const info = words[at + 1]!;
	const flagged = info >>> 31 === 1;
	const out: KMember[] = [];
	for (let m = 0; m < (info & 0xffff); m++) {
		const nameOff = words[at + 3 + 3 * m]!;
		const type = words[at + 4 + 3 * m]!;
		const raw = words[at + 5 + 3 * m]!;
		const bitOffset = flagged ? raw & 0xffffff : raw;
		const bits = flagged ? raw >>> 24 : bitOffset % 8 === 0 ? 0 : 1;
		if (nameOff === 0) {
			for (const inner of structMembers(btf, btf.resolve(type), depth + 1))
				out.push({ ...inner, offset: Math.floor(bitOffset / 8) + inner.offset });
		} else out.push({ name: btf.string(nameOff), type, offset: Math.floor(bitOffset / 8), bits });
	}
	return out;
}
