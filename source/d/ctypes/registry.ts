// One program's declared C types: tags (struct, union, enum), typedef names, enum
// constants and the variables declared with a struct or union type. The parser fills
// it (decl.ts) and makes it the active one while it parses, so that the subset's
// narrowing (subset.ts, through rewrite.ts) can resolve what it names.

import { DSyntaxError, type Position } from "../errors.ts";
import type { StorageClass, TypeName, VarDecl } from "../syntax.ts";
import { QUALIFIERS, resolveType } from "../types.ts";
import type { CType, EnumDef, SouDef } from "./model.ts";

export class CTypes {
	readonly tags = new Map<string, { k: "sou"; s: SouDef } | { k: "enum"; e: EnumDef }>();
	readonly typedefs = new Map<string, CType>();
	readonly constants = new Map<string, { value: bigint; e: EnumDef }>();
	/** Variables of struct or union type (and pointer or float ones, only declared), by `global:x` / `this:x`. */
	readonly vars = new Map<string, CType>();
	/** Bytes of the integer and string variables declared as D's basic types (for sizeof), by `global:x`. */
	readonly sizes = new Map<string, number>();
	/**
	 * Variables that hold a pointer with one of the kernel's types (`this->t = curthread`,
	 * `self->f = (struct file *)arg0`), by `self:x` / `this:x` / `global:x`: the type the
	 * first assignment gave them, which later member accesses read through.
	 */
	readonly kernelVars = new Map<string, { type: unknown; name: string }>();

	/** Remember the sizes of an ordinary declaration's variables. */
	noteDeclaration(d: VarDecl): void {
		let size: number | undefined;
		try {
			const t = resolveType(d.type);
			size = t.k === "int" ? t.size : t.k === "string" ? 256 : undefined;
		} catch {
			return;
		}
		if (size === undefined) return;
		for (const v of d.declarators) {
			if (v.keys || v.pointers) continue;
			this.sizes.set(`${d.storage}:${v.name}`, size * Number(v.dimension ?? 1n));
		}
	}

	isTypedef(word: string): boolean {
		return this.typedefs.has(word);
	}

	defineTypedef(name: string, t: CType, pos: Position): void {
		if (this.typedefs.has(name)) throw new DSyntaxError(pos, `typedef redeclared: ${name}`, "D_DECL_IDRED");
		this.typedefs.set(name, t);
	}

	defineConstant(name: string, value: bigint, e: EnumDef, pos: Position): void {
		const prev = this.constants.get(name);
		if (prev) {
			if (prev.e === e)
				throw new DSyntaxError(
					pos,
					`failed to define enumerator '${name}': Duplicate member or variable name`,
					"D_UNKNOWN",
				);
			throw new DSyntaxError(pos, `identifier redeclared: ${name}`, "D_DECL_IDRED");
		}
		this.constants.set(name, { value, e });
	}

	declareVar(storage: StorageClass, name: string, t: CType, pos: Position): void {
		if (storage === "self" && t.k === "ptr") {
			this.vars.set(`self:${name}`, t);
			return;
		}
		if (storage === "self")
			throw new DSyntaxError(
				pos,
				`self-> variables of type '${t.k === "sou" ? t.s.kind : "array"}' are not supported yet; use a global or this-> variable`,
			);
		this.vars.set(`${storage}:${name}`, t);
	}

	varType(scope: "global" | "this" | "self", name: string): CType | undefined {
		return this.vars.get(`${scope}:${name}`);
	}

	/** A written type name as a C type (tags and typedefs of this program, then D's own types). */
	resolve(t: TypeName): CType {
		const words = t.words.filter((w) => !QUALIFIERS.has(w));
		let base: CType | undefined;
		const first = words[0];
		if ((first === "struct" || first === "union" || first === "enum") && words.length === 2) {
			const tag = stripScope(words[1]!);
			const def = this.tags.get(`${first} ${tag}`);
			if (def) base = def;
			else if (t.pointers > 0) base = { k: "void" };
			else if (first === "enum")
				throw new DSyntaxError(t.pos, `enum ${tag} is not declared in this program`, "D_UNKNOWN");
			// Not (yet) defined: an incomplete type, refused where its size is needed.
			else base = { k: "sou", s: { kind: first, tag, members: [], size: 0, align: 1, complete: false } };
		} else if (words.length === 1 && this.typedefs.has(first!)) base = this.typedefs.get(first!)!;
		if (!base) base = fromD(resolveType({ ...t, pointers: 0 }));
		for (let i = 0; i < t.pointers; i++) base = { k: "ptr", to: base };
		return base;
	}

	/** Is this written type a declared struct, union or enum, or a typedef of this program? */
	declares(t: TypeName): boolean {
		const w = t.words.filter((x) => !QUALIFIERS.has(x));
		if (w.length === 1) return this.typedefs.has(w[0]!);
		if (w.length === 2 && (w[0] === "struct" || w[0] === "union" || w[0] === "enum"))
			return this.tags.has(`${w[0]} ${stripScope(w[1]!)}`);
		return false;
	}
}

/** `D\`record`: a tag in the D module is the program's own. */
export function stripScope(tag: string): string {
	return tag.replace(/^D`/, "");
}

function fromD(t: ReturnType<typeof resolveType>): CType {
	switch (t.k) {
		case "int":
			return { k: "int", t };
		case "ptr":
			return { k: "ptr", to: fromD(t.to) };
		case "float":
			return { k: "float", name: t.name, size: t.name === "float" ? 4 : t.name === "double" ? 8 : 16 };
		case "string":
			return { k: "string" };
		default:
			return { k: "void" };
	}
}

let active: CTypes | undefined;

/** The registry of the program being parsed (undefined outside a parse). */
export function activeCTypes(): CTypes | undefined {
	return active;
}

/** Run `f` with `r` as the active registry. */
export function withCTypes<T>(r: CTypes, f: () => T): T {
	const prev = active;
	active = r;
	try {
		return f();
	} finally {
		active = prev;
	}
}
