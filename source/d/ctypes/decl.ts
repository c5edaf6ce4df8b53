// Declarations of C types in a D program, read at the outer level: `enum`, `struct`
// and `union` definitions (with or without a tag, nested, with bit-fields), `typedef`,
// and variables declared with those types. Variables of an integer or enum type come
// back as ordinary declarations (with the type's D name); struct and union variables
// go into the registry, where member access finds their layout.

import { DSyntaxError, type Position } from "../errors.ts";
import { evaluate } from "../eval.ts";
import type { Token } from "../lexer.ts";
import { syntax } from "../parse-expr.ts";
import type { Expr, StorageClass, TypeName, VarDecl } from "../syntax.ts";
import { INT, TYPE_WORDS } from "../types.ts";
import { type CType, type EnumDef, layOut, type MemberDecl, type SouDef } from "./model.ts";
import { type CTypes, stripScope } from "./registry.ts";

/** The parser's token plumbing, as the declarations need it. */
export interface Tokens {
	peek(k?: number): Token;
	take(): Token;
	is(t: Token, text: string): boolean;
	isWord(t: Token, text: string): boolean;
	expect(text: string, expected?: string): Token;
	/** An assignment expression (a constant here). */
	assignment(): Expr;
	/** A type name without definitions; `pointersToo` reads the `*`s too. */
	typeName(pointersToo: boolean): TypeName;
}

/**
 * Is the declaration at the parser's position one for this file: a definition, a type
 * this program declared, or pointer or floating-point variables (declared for sizeof)?
 */
export function startsCDeclaration(tk: Tokens, reg: CTypes): boolean {
	if (definesType(tk)) return true;
	const t = tk.peek();
	if (t.kind !== "ident") return false;
	if (SOU.has(t.text)) {
		const tag = tk.peek(1);
		// A pointer to a struct this program does not define: the kernel's (kernel.ts) or an incomplete one.
		return (
			tag.kind === "ident" &&
			(reg.declares({ kind: "typename", words: [t.text, tag.text], pointers: 0, pos: t.pos }) ||
				(t.text !== "enum" && tk.is(tk.peek(2), "*")))
		);
	}
	if (reg.isTypedef(t.text)) return true;
	for (let k = 0; k < 8; k++) {
		const n = tk.peek(k);
		if (tk.is(n, "*") || (n.kind === "ident" && (n.text === "float" || n.text === "double"))) return true;
		if (n.kind !== "ident") return false;
	}
	return false;
}

const SOU = new Set(["struct", "union", "enum"]);

/** Does the declaration at the parser's position define a struct, union or enum? */
export function definesType(tk: Tokens): boolean {
	const t = tk.peek();
	if (t.kind !== "ident" || !SOU.has(t.text)) return false;
	return tk.is(tk.peek(1), "{") || (tk.peek(1).kind === "ident" && tk.is(tk.peek(2), "{"));
}

let anon = 0;

/** A type specifier: a definition or a written type name (no `*`s). */
export function typeSpecifier(tk: Tokens, reg: CTypes): CType {
	if (!definesType(tk)) return reg.resolve(tk.typeName(false));
	const kw = tk.take();
	const kind = kw.text as "struct" | "union" | "enum";
	let tag = "";
	if (tk.peek().kind === "ident") tag = stripScope(tk.take().text);
	tk.expect("{");
	if (kind === "enum") return enumBody(tk, reg, tag, kw.pos);
	const key = `${kind} ${tag || `<anon ${++anon}>`}`;
	if (tag && reg.tags.has(key))
		throw new DSyntaxError(kw.pos, `type redeclared: ${key}`, "D_UNKNOWN", { dtrace: `failed to define type ${key}` });
	const def: SouDef = { kind, tag, members: [], size: 0, align: 1, complete: false };
	const t: CType = { k: "sou", s: def };
	if (tag) reg.tags.set(key, t);
	const decls: MemberDecl[] = [];
	while (!tk.is(tk.peek(), "}")) {
		if (tk.peek().kind === "eof") throw syntax(tk.peek(), `'}' to end the ${kind}`);
		const base = typeSpecifier(tk, reg);
		if (tk.is(tk.peek(), ";")) {
			// An anonymous struct or union member (C11).
			tk.take();
			decls.push({ name: "", type: base, pos: kw.pos });
			continue;
		}
		for (;;) {
			const d = declarator(tk, base, true, reg);
			decls.push(d);
			const n = tk.take();
			if (tk.is(n, ";")) break;
			if (!tk.is(n, ",")) {
				if (tk.is(n, "}") || n.kind === "ident")
					throw new DSyntaxError(n.pos, `syntax error near ${JSON.stringify(n.text)}`, "D_SYNTAX");
				throw syntax(n, "',' or ';'");
			}
		}
	}
	tk.take();
	layOut(def, decls);
	return t;
}

function constant(tk: Tokens, reg: CTypes, what: string, code: string): { value: bigint; pos: Position } {
	const e = tk.assignment();
	const v = evaluate(e, (x) => {
		if (x.kind !== "ident") return undefined;
		const c = reg.constants.get(x.name);
		return c ? { value: BigInt.asUintN(64, c.value), type: INT } : undefined;
	});
	if (!v) throw new DSyntaxError(e.pos, what, code);
	return { value: v.type.signed ? BigInt.asIntN(64, v.value) : v.value, pos: e.pos };
}

function enumBody(tk: Tokens, reg: CTypes, tag: string, pos: Position): CType {
	const key = `enum ${tag}`;
	if (tag && reg.tags.has(key))
		throw new DSyntaxError(pos, `type redeclared: ${key}`, "D_UNKNOWN", { dtrace: `failed to define type ${key}` });
	const def: EnumDef = { tag, values: new Map() };
	const t: CType = { k: "enum", e: def };
	let next = 0n;
	for (;;) {
		const name = tk.take();
		if (tk.is(name, "}")) break;
		if (name.kind !== "ident") throw syntax(name, "an enumerator name");
		if (tk.is(tk.peek(), "=")) {
			tk.take();
			const c = constant(tk, reg, "enumerator value must be an integer constant expression", "D_DECL_ENCONST");
			next = c.value;
		}
		if (next > 2147483647n)
			throw new DSyntaxError(name.pos, `enumerator '${name.text}' overflows INT_MAX (2147483647)`, "D_DECL_ENOFLOW");
		if (next < -2147483648n)
			throw new DSyntaxError(name.pos, `enumerator '${name.text}' underflows INT_MIN (-2147483648)`, "D_DECL_ENOFLOW");
		reg.defineConstant(name.text, next, def, name.pos);
		def.values.set(name.text, next);
		next++;
		const sep = tk.take();
		if (tk.is(sep, "}")) break;
		if (!tk.is(sep, ",")) throw syntax(sep, "',' or '}'");
	}
	if (tag) reg.tags.set(key, t);
	return t;
}

interface Declared extends MemberDecl {
	pos: Position;
}

/** `*`s, a name (optional for a bit-field of a member), `[N]`s, and a member's `: bits`. */
function declarator(tk: Tokens, base: CType, member: boolean, reg?: CTypes): Declared {
	let t = base;
	while (tk.is(tk.peek(), "*")) {
		tk.take();
		t = { k: "ptr", to: t };
		while (tk.peek().kind === "ident" && ["const", "volatile", "restrict"].includes(tk.peek().text)) tk.take();
	}
	let name = "";
	const at = tk.peek();
	if (at.kind === "ident") name = tk.take().text;
	else if (!(member && tk.is(at, ":"))) throw syntax(at, member ? "a member name" : "a name");
	const dims: number[] = [];
	while (tk.is(tk.peek(), "[")) {
		tk.take();
		const n = tk.take();
		if (n.kind !== "int" || (n.value as bigint) <= 0n)
			throw new DSyntaxError(
				n.pos,
				"positive integral constant expression or tuple signature expected as array declaration subscript",
				"D_DECL_ARRSUB",
			);
		tk.expect("]");
		dims.push(Number(n.value));
	}
	for (const n of dims.reverse()) t = { k: "array", of: t, n };
	const d: Declared = { name, type: t, pos: at.pos };
	if (member && tk.is(tk.peek(), ":")) {
		tk.take();
		if (!reg) throw syntax(tk.peek(), "';'");
		const c = constant(tk, reg, "positive integral constant expression expected as bit-field size", "D_DECL_BFCONST");
		if (c.value <= 0n)
			throw new DSyntaxError(
				c.pos,
				"positive integral constant expression expected as bit-field size",
				"D_DECL_BFCONST",
			);
		if (c.value > 64n)
			throw new DSyntaxError(c.pos, `bit-field too big for type: ${name || "(anon)"}`, "D_DECL_BFSIZE");
		d.bits = Number(c.value);
	}
	return d;
}

/** The D type name of an integer-like C type, for an ordinary declaration. */
function asTypeName(t: CType, pos: Position): TypeName | undefined {
	if (t.k === "int") return { kind: "typename", words: t.t.name.split(" "), pointers: 0, pos };
	if (t.k === "enum") return { kind: "typename", words: ["int"], pointers: 0, pos };
	if (t.k === "string") return { kind: "typename", words: ["string"], pointers: 0, pos };
	return undefined;
}

/** `typedef TYPE DECLARATOR;` (at the `typedef`). */
export function typedefDeclaration(tk: Tokens, reg: CTypes): null {
	tk.take();
	const base = typeSpecifier(tk, reg);
	for (;;) {
		const d = declarator(tk, base, false);
		if (!d.name) throw syntax(tk.peek(), "the typedef's name");
		reg.defineTypedef(d.name, d.type, d.pos);
		const n = tk.take();
		if (tk.is(n, ";")) return null;
		if (!tk.is(n, ",")) throw syntax(n, "',' or ';'");
	}
}

/**
 * A declaration whose type is a definition or a type this program declared. Returns
 * the ordinary declaration of its integer variables, or null when there is none (the
 * definition alone, or struct and union variables, which the registry keeps).
 */
export function cDeclaration(tk: Tokens, reg: CTypes, storage: StorageClass, first: Token): VarDecl | null {
	const base = typeSpecifier(tk, reg);
	if (tk.is(tk.peek(), ";")) {
		tk.take();
		return null;
	}
	// `struct a { ... } struct b { ... };`: a definition missing its ';'.
	if (tk.peek().kind === "ident" && TYPE_WORDS.has(tk.peek().text))
		throw new DSyntaxError(tk.peek().pos, "invalid type combination", "D_DECL_COMBO");
	const plain = asTypeName(base, first.pos);
	const decl: VarDecl = {
		kind: "decl",
		storage,
		type: plain ?? { kind: "typename", words: ["int"], pointers: 0, pos: first.pos },
		declarators: [],
		pos: first.pos,
	};
	for (;;) {
		const at = tk.peek();
		if (plain && !tk.is(at, "*")) {
			// An integer variable: the ordinary declarator (keys, dimensions) applies.
			const name = tk.take();
			if (name.kind !== "ident") throw syntax(name, "a variable name");
			decl.declarators.push({ name: name.text, pointers: 0, dimension: null, keys: null, pos: name.pos });
		} else {
			const d = declarator(tk, base, false);
			if (d.type.k === "void") throw new DSyntaxError(d.pos, `cannot have void object: ${d.name}`, "D_DECL_VOIDOBJ");
			if (d.type.k === "sou" && !d.type.s.complete)
				throw new DSyntaxError(
					d.pos,
					`incomplete struct/union/enum ${d.type.s.kind} ${d.type.s.tag}: ${d.name}`,
					"D_DECL_INCOMPLETE",
				);
			if (d.type.k === "array")
				throw new DSyntaxError(d.pos, `arrays of structs or unions ('${d.name}') are not supported yet`);
			reg.declareVar(storage, d.name, d.type, d.pos);
		}
		const n = tk.take();
		if (tk.is(n, ";")) break;
		if (!tk.is(n, ",")) throw syntax(n, "',' or ';'");
	}
	if (decl.declarators.length === 0) return null;
	reg.noteDeclaration(decl);
	return decl;
}
