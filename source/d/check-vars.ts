// Variables in the full checker: globals, associative arrays, self-> and this->
// variables, declarations and inlines, assignments and ++/--. A variable gets its
// type from its declaration or from its first assignment in program order, and
// reading it before either is an error, as in DTrace (dt_cook_var, dt_cook_op2).

import { ExprChecker, kernelTypes, quoted, unsupported } from "./check-expr.ts";
import { DTypeError, type Position } from "./errors.ts";
import { isBuiltinVariable, LIBRARY_CONSTANTS, NULL_NAME, UREGS_COUNT } from "./library.ts";
import type { VarInfo } from "./scope.ts";
import type {
	AssignExpr,
	AssignOp,
	Expr,
	Ident,
	IncDecExpr,
	IndexExpr,
	InlineDecl,
	SelfVar,
	ThisVar,
	VarDecl,
} from "./syntax.ts";
import {
	CHAR,
	type DType,
	INT,
	INT64,
	isInteger,
	isScalar,
	isStringLike,
	LONG,
	resolveType,
	sameType,
	typeName,
	UINT64,
} from "./types.ts";

type VarScope = "global" | "self" | "this";

const SCOPE_PREFIX: Record<VarScope, string> = { global: "", self: "self->", this: "this->" };

/** Can a value of type `r` be stored where `l` is expected (dt_node_is_argcompat)? */
export function compatible(l: DType, r: DType): boolean {
	if (isInteger(l) && isInteger(r)) return true;
	if (isStringLike(l) && isStringLike(r)) return true;
	if (l.k === "stack" && r.k === "stack") return true;
	if (l.k === "symaddr" && r.k === "symaddr") return l.user === r.user;
	if (l.k === "ptr" && r.k === "ptr") return l.to.k === "void" || r.to.k === "void" || sameType(l.to, r.to);
	return false;
}

export abstract class VarChecker extends ExprChecker {
	private table(scope: VarScope): Map<string, VarInfo> {
		return scope === "global" ? this.globals : scope === "self" ? this.selfVars : this.thisVars;
	}

	private note(kind: "reads" | "writes", scope: VarScope, name: string): void {
		this.facts?.[kind][scope].add(name);
	}

	private undefinedVar(scope: VarScope, name: string, pos: Position): DTypeError {
		return new DTypeError(pos, `${SCOPE_PREFIX[scope]}${name} has not yet been declared or assigned`, "D_VAR_UNDEF");
	}

	/** Read a variable used as a scalar. */
	protected variable(e: SelfVar | ThisVar | Ident): DType {
		if (e.kind === "ident") return this.identifier(e);
		const v = this.table(e.kind).get(e.name);
		if (!v) throw this.undefinedVar(e.kind, e.name, e.pos);
		if (v.keys)
			throw new DTypeError(
				e.pos,
				`associative array ${SCOPE_PREFIX[e.kind]}${e.name} may not be referenced as scalar`,
				"D_IDENT_BADREF",
			);
		this.scope(e, e.kind);
		this.note("reads", e.kind, e.name);
		return v.type;
	}

	private identifier(e: Ident): DType {
		const inline = this.inlines.get(e.name);
		if (inline) {
			this.scope(e, "inline");
			this.expr(inline.value); // its builtins and variables count as this clause's
			return inline.type;
		}
		const g = this.globals.get(e.name);
		if (g) {
			if (g.keys)
				throw new DTypeError(e.pos, `associative array '${e.name}' may not be referenced as scalar`, "D_IDENT_BADREF");
			this.scope(e, "global");
			this.note("reads", "global", e.name);
			return g.type;
		}
		if (LIBRARY_CONSTANTS.has(e.name)) {
			this.scope(e, "constant");
			return INT;
		}
		if (e.name === NULL_NAME) {
			this.scope(e, "constant");
			return LONG;
		}
		if (e.name.includes("`")) throw kernelTypes(e.pos, `the kernel symbol ${e.name}`);
		throw new DTypeError(e.pos, `failed to resolve ${e.name}: Unknown variable name`, "D_IDENT_UNDEF");
	}

	/** The variable an expression names as a storage place, if any. */
	private place(e: Expr): { scope: VarScope; name: string; keys: Expr[] | null; pos: Position } | undefined {
		if (e.kind === "ident" && !this.inlines.has(e.name) && !LIBRARY_CONSTANTS.has(e.name) && e.name !== NULL_NAME)
			return { scope: "global", name: e.name, keys: null, pos: e.pos };
		if (e.kind === "self" || e.kind === "this") return { scope: e.kind, name: e.name, keys: null, pos: e.pos };
		if (e.kind === "index" && (e.base.kind === "ident" || e.base.kind === "self" || e.base.kind === "this")) {
			const base = e.base;
			if (base.kind === "ident" && (this.inlines.has(base.name) || LIBRARY_CONSTANTS.has(base.name))) return undefined;
			return { scope: base.kind === "ident" ? "global" : base.kind, name: base.name, keys: e.keys, pos: base.pos };
		}
		return undefined;
	}

	protected virgin(e: Expr, plainToo: boolean): void {
		const p = this.place(e);
		if (!p || (p.scope === "global" && !p.keys && !plainToo) || (p.keys && p.scope === "this")) return;
		const table = this.table(p.scope);
		if (table.has(p.name)) return;
		const keys = p.keys ? this.keysOf(p.scope, p.name, p.keys, undefined, p.pos) : null;
		table.set(p.name, {
			name: p.name,
			scope: p.scope,
			type: INT64,
			keys,
			dimension: null,
			declared: false,
			pos: p.pos,
		});
	}

	/** Type the keys of `name[keys]` against its signature (dt_idcook_assc). */
	private keysOf(scope: VarScope, name: string, keys: Expr[], v: VarInfo | undefined, pos: Position): DType[] {
		const types = keys.map((k, i) => {
			const t = this.expr(k);
			if (t.k === "void" || t.k === "dynamic")
				throw new DTypeError(
					k.pos,
					`${typeName(t)} expression may not be used as associative array index: key #${i + 1}`,
					"D_KEY_TYPE",
				);
			return t;
		});
		const label = `${SCOPE_PREFIX[scope]}${name}[ ]`;
		if (v?.keys) {
			if (v.keys.length !== types.length) {
				const n = types.length;
				throw new DTypeError(
					pos,
					`${label} prototype mismatch: ${n} key${n === 1 ? " " : "s "}passed, ${v.keys.length} expected`,
					"D_PROTO_LEN",
				);
			}
			types.forEach((t, i) => {
				if (!compatible(v.keys![i]!, t)) {
					throw new DTypeError(
						keys[i]!.pos,
						`${label} key #${i + 1} is incompatible with prototype: prototype: ${typeName(v.keys![i]!)}; key: ${typeName(t)}`,
						"D_PROTO_ARG",
					);
				}
			});
		}
		return types;
	}

	/** An element of an associative array or a declared scalar array, or a character of a string. */
	protected index(e: IndexExpr): DType {
		const base = e.base;
		if (base.kind === "builtin" && (base.name === "args" || base.name === "uregs"))
			return this.builtinArray(e, base.name);
		if (base.kind === "aggvar") {
			for (const k of e.keys) this.expr(k);
			return this.aggregation(base);
		}
		const p = this.place(e);
		if (p) {
			const v = this.table(p.scope).get(p.name);
			if (p.scope === "this" && !v?.keys && v?.type.k !== "string")
				throw new DTypeError(p.pos, `local variables may not be used as associative arrays: ${p.name}`, "D_ARR_LOCAL");
			if (!v) {
				this.keysOf(p.scope, p.name, p.keys!, undefined, e.pos);
				throw this.undefinedVar(p.scope, p.name, p.pos);
			}
			this.scope(base, p.scope);
			this.note("reads", p.scope, p.name);
			if (v.keys) {
				this.keysOf(p.scope, p.name, p.keys!, v, e.pos);
				return v.type;
			}
			if (v.dimension !== null) return this.element(e, v);
		}
		const t = this.expr(base);
		if (t.k === "string") {
			this.stringIndex(e);
			return CHAR;
		}
		if (t.k === "ptr")
			throw unsupported(e.pos, "indexing a pointer reads memory through C types, which dtop does not support");
		const what = p ? `scalar ${p.name}` : typeName(t);
		throw new DTypeError(e.pos, `cannot access ${what} as an associative array`, "D_ARR_BADREF");
	}

	private stringIndex(e: IndexExpr): void {
		if (e.keys.length !== 1 || !isInteger(this.expr(e.keys[0]!)))
			throw new DTypeError(e.pos, "a string is indexed by one integer", "D_ARR_BADREF");
	}

	private element(e: IndexExpr, v: VarInfo): DType {
		if (e.keys.length !== 1 || !isInteger(this.expr(e.keys[0]!)))
			throw new DTypeError(e.pos, `${v.name}[ ] is indexed by one integer`, "D_ARR_BADREF");
		const c = this.constant(e.keys[0]!);
		if (c && v.dimension! > 1n && c.value >= v.dimension!) {
			throw new DTypeError(e.pos, `index outside array bounds: ${c.value}, max is ${v.dimension}`, "D_ARR_BOUNDS");
		}
		return v.type;
	}

	private builtinArray(e: IndexExpr, name: string): DType {
		this.facts?.builtins.add(name);
		this.scope(e.base, "builtin");
		if (this.clause === null && name === "args")
			throw new DTypeError(e.pos, "args[ ] may not be referenced outside of a probe clause", "D_ARGS_NONE");
		const n = e.keys.length;
		if (n !== 1)
			throw new DTypeError(
				e.pos,
				`${name}[ ] prototype mismatch: ${n} arg${n === 1 ? " " : "s "}passed, 1 expected`,
				"D_PROTO_LEN",
			);
		const t = this.expr(e.keys[0]!);
		const c = isInteger(t) ? this.constant(e.keys[0]!) : undefined;
		if (!c) {
			throw new DTypeError(
				e.keys[0]!.pos,
				`${name}[ ] argument #1 is incompatible with prototype: prototype: integer constant; argument: ${typeName(t)}`,
				"D_PROTO_ARG",
			);
		}
		const i = BigInt.asIntN(64, c.value);
		if (name === "uregs") {
			if (i < 0n || i >= BigInt(UREGS_COUNT))
				throw new DTypeError(e.pos, `uregs[]: index out of bounds (${i})`, "D_UNKNOWN");
			return UINT64;
		}
		if (i < 0n || i > 9n) throw new DTypeError(e.pos, `index ${i} is out of range for args[ ]`, "D_ARGS_IDX");
		return this.argType(Number(i)) ?? INT64;
	}

	/** The type of args[n] in the clause being checked (the checker's options say). */
	protected abstract argType(n: number): DType | undefined;

	// -- assignments ----------------------------------------------------------------

	protected assignment(e: AssignExpr): DType {
		return this.assign(e.target, e.op, e.value, e.pos);
	}

	private lvalueError(op: string, pos: Position): DTypeError {
		return new DTypeError(pos, `operator ${op} requires modifiable lvalue as an operand`, "D_OP_LVAL");
	}

	/** `target op value` (a statement or an expression); returns the target's type. */
	assign(target: Expr, op: AssignOp, value: Expr, opPos: Position): DType {
		if (target.kind === "index" && target.base.kind === "index" && target.base.base.kind === "aggvar") {
			const name = target.base.base.name;
			throw new DTypeError(
				target.pos,
				`improper attempt to reference @${name} as a multi-dimensional array`,
				"D_AGG_MDIM",
			);
		}
		const agg =
			target.kind === "aggvar" ? target : target.kind === "index" && target.base.kind === "aggvar" ? target.base : null;
		if (agg) {
			throw new DTypeError(opPos, `@${agg.name} must be assigned the result of an aggregating function`, "D_AGG_FUNC");
		}
		if (op !== "=") return this.compound(target, op, value, opPos);
		const p = this.place(target);
		if (!p) {
			const l = this.targetType(target);
			const r = this.expr(value);
			if (target.kind === "builtin" || (target.kind === "index" && target.base.kind === "builtin")) {
				if (!compatible(l, r))
					throw new DTypeError(opPos, `operands have incompatible types: ${quoted(l)} = ${quoted(r)}`, "D_OP_INCOMPAT");
				throw new DTypeError(opPos, "operator = can only be applied to a writable variable", "D_OP_WRITE");
			}
			throw this.lvalueError("=", opPos);
		}
		const table = this.table(p.scope);
		const existing = table.get(p.name);
		if (p.keys && p.scope === "this" && existing?.type.k !== "string")
			throw new DTypeError(p.pos, `local variables may not be used as associative arrays: ${p.name}`, "D_ARR_LOCAL");
		if (existing?.keys && !p.keys) {
			throw new DTypeError(p.pos, `associative array '${p.name}' may not be referenced as scalar`, "D_IDENT_BADREF");
		}
		if (existing && !existing.keys && existing.dimension === null && p.keys) {
			throw new DTypeError(p.pos, `cannot access scalar ${p.name} as an associative array`, "D_ARR_BADREF");
		}
		const keyTypes = p.keys ? this.keysOf(p.scope, p.name, p.keys, existing, p.pos) : null;
		if (existing?.dimension !== null && existing && p.keys) this.element(target as IndexExpr, existing);
		const r = this.expr(value);
		this.scope(p.keys ? (target as IndexExpr).base : target, p.scope);
		this.note("writes", p.scope, p.name);
		if (existing) {
			const dynamic = existing.keys !== null || p.scope === "self";
			const isNull = this.isNull(value);
			const nullable = isNull && (existing.type.k === "string" || existing.type.k === "ptr" || dynamic);
			if (!compatible(existing.type, r) && !nullable) {
				throw new DTypeError(
					opPos,
					`operands have incompatible types: ${quoted(existing.type)} = ${quoted(r)}`,
					"D_OP_INCOMPAT",
				);
			}
			return existing.type;
		}
		if (r.k === "void") {
			if (this.deferred) return r; // DTrace stops at the misplaced action first
			throw new DTypeError(opPos, `cannot have void object: ${p.name}`, "D_DECL_VOIDOBJ");
		}
		if (r.k === "float") throw unsupported(opPos, "floating-point types are not supported");
		table.set(p.name, {
			name: p.name,
			scope: p.scope,
			type: r,
			keys: keyTypes,
			dimension: null,
			declared: false,
			pos: p.pos,
		});
		return r;
	}

	/** The type of a target that is not a variable (a builtin, a constant, ...). */
	private targetType(target: Expr): DType {
		if (target.kind === "member" || (target.kind === "unary" && target.op === "*"))
			throw kernelTypes(target.pos, "storing through a pointer or into a member");
		return this.expr(target);
	}

	private compound(target: Expr, op: AssignOp, value: Expr, opPos: Position): DType {
		const p = this.place(target);
		if (p && !p.keys && !this.table(p.scope).has(p.name)) {
			throw this.undefinedVar(p.scope, p.name, p.pos);
		}
		const l = p ? this.expr(target) : this.targetType(target);
		const r = this.expr(value);
		const incompatible = () =>
			new DTypeError(opPos, `operands have incompatible types: ${quoted(l)} ${op} ${quoted(r)}`, "D_OP_INCOMPAT");
		switch (op) {
			case "+=":
			case "-=":
				if (l.k === "string" || r.k === "string") throw incompatible();
				if (l.k === "ptr") throw unsupported(opPos, `pointer arithmetic (${typeName(l)} ${op} ...) is not supported`);
				if (!isInteger(l) || !isInteger(r)) {
					throw new DTypeError(opPos, `operator ${op} requires left-hand scalar operand of known size`, "D_OP_VFPTR");
				}
				break;
			case "*=":
			case "/=":
				if (!isInteger(l) || !isInteger(r))
					throw new DTypeError(opPos, `operator ${op} requires operands of arithmetic type`, "D_OP_ARITH");
				break;
			default:
				if (!isInteger(l) || !isInteger(r))
					throw new DTypeError(opPos, `operator ${op} requires operands of integral type`, "D_OP_INT");
		}
		if (op === "/=" || op === "%=") {
			const v = this.constant(value);
			if (v && v.value === 0n) throw new DTypeError(opPos, "expression contains division by zero", "D_DIV_ZERO");
		}
		this.writable(target, op, opPos);
		if (p) this.note("writes", p.scope, p.name);
		return l;
	}

	/** D_OP_LVAL / D_OP_WRITE for targets that are not variables. */
	private writable(target: Expr, op: string, pos: Position): void {
		if (this.place(target)) return;
		if (target.kind === "builtin" || (target.kind === "index" && target.base.kind === "builtin"))
			throw new DTypeError(pos, `operator ${op} can only be applied to a writable variable`, "D_OP_WRITE");
		throw this.lvalueError(op, pos);
	}

	protected incdec(e: IncDecExpr): DType {
		this.virgin(e.operand, true);
		const p = this.place(e.operand);
		if (p && !p.keys && !this.table(p.scope).has(p.name)) {
			if (p.scope === "global")
				throw new DTypeError(p.pos, `failed to resolve ${p.name}: Unknown variable name`, "D_IDENT_UNDEF");
			throw this.undefinedVar(p.scope, p.name, p.pos);
		}
		const t = p ? this.expr(e.operand) : this.targetType(e.operand);
		if (!isScalar(t)) throw new DTypeError(e.pos, `operator ${e.op} requires operand of scalar type`, "D_OP_SCALAR");
		this.writable(e.operand, e.op, e.pos);
		if (t.k === "ptr") throw unsupported(e.pos, `pointer arithmetic (${typeName(t)}${e.op}) is not supported`);
		if (p) this.note("writes", p.scope, p.name);
		return t;
	}

	// -- declarations ---------------------------------------------------------------

	protected declare(d: VarDecl): void {
		const base = resolveType(d.type);
		if (base.k === "float") throw unsupported(d.type.pos, "floating-point types are not supported");
		for (const x of d.declarators) {
			let type = base;
			for (let i = 0; i < x.pointers; i++) type = { k: "ptr", to: type };
			if (type.k === "void") throw new DTypeError(x.pos, `cannot have void object: ${x.name}`, "D_DECL_VOIDOBJ");
			if (type.k === "sou") throw kernelTypes(x.pos, `a variable of type ${typeName(type)}`);
			if (isBuiltinVariable(x.name) && d.storage === "global")
				throw new DTypeError(x.pos, `built-in identifier redeclared: ${x.name}`, "D_DECL_IDRED");
			if (this.inlines.has(x.name) || (d.storage === "global" && LIBRARY_CONSTANTS.has(x.name)))
				throw new DTypeError(x.pos, `identifier redeclared: ${x.name}`, "D_DECL_IDRED");
			if (x.dimension !== null && x.dimension > 0xffffffffn)
				throw new DTypeError(x.pos, "array dimension too big", "D_DECL_ARRBIG");
			const keys = x.keys?.map((k, i) => {
				const t = resolveType(k);
				if (t.k === "void")
					throw new DTypeError(
						k.pos,
						`array prototype may not use parameter of type void: (anonymous), parameter #${i + 1}`,
						"D_DECL_PROTO_TYPE",
					);
				if (t.k === "sou") throw kernelTypes(k.pos, `a key of type ${typeName(t)}`);
				return t;
			});
			const table = this.table(d.storage);
			const prev = table.get(x.name);
			const info: VarInfo = {
				name: x.name,
				scope: d.storage,
				type,
				keys: keys ?? null,
				dimension: x.dimension,
				declared: true,
				pos: x.pos,
			};
			if (prev) {
				const same =
					sameType(prev.type, type) &&
					(prev.keys?.length ?? -1) === (keys?.length ?? -1) &&
					(prev.keys ?? []).every((k, i) => sameType(k, keys![i]!)) &&
					prev.dimension === x.dimension;
				if (!same) {
					throw new DTypeError(
						x.pos,
						`identifier redeclared: ${SCOPE_PREFIX[d.storage]}${x.name}; current: ${typeName(type)}, previous: ${typeName(prev.type)}`,
						"D_DECL_IDRED",
					);
				}
			}
			table.set(x.name, info);
		}
	}

	protected defineInline(d: InlineDecl): void {
		let type = resolveType(d.type);
		for (let i = 0; i < d.pointers; i++) type = { k: "ptr", to: type };
		if (type.k === "void") throw new DTypeError(d.pos, `cannot declare void inline: ${d.name}`, "D_DECL_VOIDOBJ");
		if (type.k === "sou" || type.k === "float") throw kernelTypes(d.pos, `an inline of type ${typeName(type)}`);
		if (this.inlines.has(d.name) || this.globals.has(d.name) || isBuiltinVariable(d.name)) {
			throw new DTypeError(d.pos, `identifier redefined: ${d.name}`, "D_DECL_IDRED");
		}
		const v = this.expr(d.value);
		if (!compatible(type, v)) {
			throw new DTypeError(
				d.pos,
				`inline ${d.name} definition uses incompatible types: ${quoted(type)} = ${quoted(v)}`,
				"D_OP_INCOMPAT",
			);
		}
		this.inlines.set(d.name, { name: d.name, type, value: d.value, pos: d.pos });
	}
}
