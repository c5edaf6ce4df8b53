// C types declared in a D program (enum, struct, union, typedef) and their layout as
// C has it on x86_64 and aarch64 (LP64, little-endian: natural alignment, a struct's
// size a multiple of its alignment, bit-fields allocated from the low bits within a
// unit of their base type). A program's declarations live in one CTypes registry,
// filled while the parser reads them and consulted while it narrows expressions
// (enum constants, sizeof, offsetof, member access).

import { DSyntaxError, type Position } from "../errors.ts";
import type { IntType } from "../types.ts";

export interface Member {
	name: string;
	type: CType;
	/** Byte offset in the struct or union (for a bit-field: of the byte holding its first bit). */
	offset: number;
	/** Bit-fields: the first bit (from the struct's start) and the width. */
	bitOffset?: number;
	bits?: number;
}

export interface SouDef {
	kind: "struct" | "union";
	/** The tag (`record`), or "" for an anonymous one. */
	tag: string;
	members: Member[];
	size: number;
	align: number;
	/** False while the definition is being read (a member of its own type is incomplete). */
	complete: boolean;
}

export interface EnumDef {
	tag: string;
	values: Map<string, bigint>;
}

export type CType =
	| { k: "int"; t: IntType }
	/** An enum: 4 bytes, signed, printed as an integer. */
	| { k: "enum"; e: EnumDef }
	| { k: "ptr"; to: CType }
	| { k: "array"; of: CType; n: number }
	| { k: "sou"; s: SouDef }
	| { k: "void" }
	| { k: "float"; name: string; size: number }
	| { k: "string" };

export function sizeOfC(t: CType, strsize = 256): number {
	switch (t.k) {
		case "int":
			return t.t.size;
		case "enum":
			return 4;
		case "ptr":
			return 8;
		case "array":
			return sizeOfC(t.of, strsize) * t.n;
		case "sou":
			return t.s.size;
		case "void":
			return 0;
		case "float":
			return t.size;
		case "string":
			return strsize;
	}
}

export function alignOfC(t: CType): number {
	switch (t.k) {
		case "array":
			return alignOfC(t.of);
		case "sou":
			return t.s.align;
		case "string":
			return 1;
		default:
			return Math.max(1, Math.min(16, sizeOfC(t)));
	}
}

export function cTypeName(t: CType): string {
	switch (t.k) {
		case "int":
			return t.t.name;
		case "enum":
			return t.e.tag ? `enum ${t.e.tag}` : "enum (anon)";
		case "ptr":
			return `${cTypeName(t.to)} *`;
		case "array":
			return `${cTypeName(t.of)} [${t.n}]`;
		case "sou":
			return t.s.tag ? `${t.s.kind} ${t.s.tag}` : `${t.s.kind} (anon)`;
		case "void":
			return "void";
		case "float":
			return t.name;
		case "string":
			return "string";
	}
}

const roundUp = (n: number, a: number) => Math.ceil(n / a) * a;

/** A member as declared, before layout. */
export interface MemberDecl {
	name: string;
	type: CType;
	bits?: number;
	pos: Position;
}

function incomplete(t: CType): SouDef | undefined {
	if (t.k === "sou" && !t.s.complete) return t.s;
	if (t.k === "array") return incomplete(t.of);
	return undefined;
}

/** Lay the members out as C does and complete the definition. */
export function layOut(def: SouDef, decls: MemberDecl[]): void {
	const seen = new Set<string>();
	let bit = 0; // the next free bit (structs)
	let size = 0;
	let align = 1;
	for (const m of decls) {
		const inc = incomplete(m.type);
		if (inc)
			throw new DSyntaxError(
				m.pos,
				`incomplete struct/union/enum ${inc.kind} ${inc.tag || "(anon)"}: ${m.name}`,
				"D_DECL_INCOMPLETE",
			);
		if (m.type.k === "void") throw new DSyntaxError(m.pos, `cannot have void object: ${m.name}`, "D_DECL_VOIDOBJ");
		if (m.name && seen.has(m.name))
			throw new DSyntaxError(
				m.pos,
				`failed to define member '${m.name}': Duplicate member or variable name`,
				"D_UNKNOWN",
			);
		if (m.name) seen.add(m.name);
		const sz = sizeOfC(m.type);
		const al = alignOfC(m.type);
		if (m.bits !== undefined) {
			if (m.type.k !== "int" && m.type.k !== "enum")
				throw new DSyntaxError(m.pos, `invalid type for bit-field: ${m.name || "(anon)"}`, "D_DECL_BFTYPE");
			if (m.bits > sz * 8)
				throw new DSyntaxError(m.pos, `bit-field too big for type: ${m.name || "(anon)"}`, "D_DECL_BFSIZE");
			const unit = sz * 8;
			let at = def.kind === "union" ? 0 : bit;
			if (Math.floor(at / unit) !== Math.floor((at + m.bits - 1) / unit)) at = roundUp(at, unit);
			def.members.push({ name: m.name, type: m.type, offset: Math.floor(at / 8), bitOffset: at, bits: m.bits });
			if (def.kind === "struct") bit = at + m.bits;
			size = Math.max(size, Math.ceil((at + m.bits) / 8));
			align = Math.max(align, al);
			continue;
		}
		const offset = def.kind === "union" ? 0 : roundUp(Math.ceil(bit / 8), al);
		def.members.push({ name: m.name, type: m.type, offset });
		if (def.kind === "struct") bit = (offset + sz) * 8;
		size = Math.max(size, offset + sz);
		align = Math.max(align, al);
	}
	def.align = align;
	def.size = roundUp(size, align);
	def.complete = true;
}

/** A member by name, looking into anonymous struct and union members as C11 does. */
export function findMember(s: SouDef, name: string): Member | undefined {
	for (const m of s.members) {
		if (m.name === name) return m;
		if (m.name === "" && m.type.k === "sou") {
			const inner = findMember(m.type.s, name);
			if (inner)
				return {
					...inner,
					offset: m.offset + inner.offset,
					...(inner.bitOffset !== undefined ? { bitOffset: m.offset * 8 + inner.bitOffset } : {}),
				};
		}
	}
	return undefined;
}
