// Typing of D expressions in the full language (the operator rules of DTrace's
// dt_parser.c: dt_cook_op1, dt_cook_op2, dt_cook_op3), with DTrace's messages and tags.
// Variables, calls and assignments are typed by the subclasses (check-vars.ts,
// check-calls.ts).

import { DTypeError, type Position, UNSUPPORTED } from "./errors.ts";
import { evaluate, literalType, type Value } from "./eval.ts";
import { BUILTIN_TYPES, KERNEL_STRUCT_BUILTINS, LIBRARY_CONSTANTS, NULL_NAME } from "./library.ts";
import { FROM_MACRO } from "./macros.ts";
import type { ClauseFacts, InlineInfo, Scope, VarInfo } from "./scope.ts";
import type {
	AggVar,
	AssignExpr,
	BinaryExpr,
	CallExpr,
	Clause,
	Expr,
	Ident,
	IncDecExpr,
	IndexExpr,
	SelfVar,
	TernaryExpr,
	ThisVar,
	UnaryExpr,
} from "./syntax.ts";
import {
	type DType,
	INT,
	isInteger,
	isScalar,
	isStringLike,
	LONG,
	promote,
	resolveType,
	SIZE_T,
	STRING,
	sizeOf,
	typeName,
} from "./types.ts";

export const quoted = (t: DType) => `"${typeName(t)}"`;

export function unsupported(pos: Position, what: string): DTypeError {
	return new DTypeError(pos, what, UNSUPPORTED);
}

export function kernelTypes(pos: Position, what: string): DTypeError {
	return unsupported(pos, `${what} needs the kernel's C type information, which dtop does not read`);
}

export abstract class ExprChecker {
	readonly types = new Map<Expr, DType>();
	readonly scopes = new Map<Expr, Scope>();
	readonly globals = new Map<string, VarInfo>();
	readonly selfVars = new Map<string, VarInfo>();
	readonly thisVars = new Map<string, VarInfo>();
	readonly inlines = new Map<string, InlineInfo>();
	/** The clause being checked (null for declarations). */
	protected clause: Clause | null = null;
	protected facts!: ClauseFacts;

	constructor(protected readonly strsize: number) {}

	// -- hooks of the subclasses --------------------------------------------------

	protected abstract call(e: CallExpr, statement: boolean): DType;
	protected abstract variable(e: SelfVar | ThisVar | Ident): DType;
	protected abstract index(e: IndexExpr): DType;
	protected abstract assignment(e: AssignExpr): DType;
	protected abstract incdec(e: IncDecExpr): DType;
	protected abstract aggregation(e: AggVar): DType;
	/** A variable never assigned that a unary operator reads becomes an int64_t (dt_cook_op1). */
	protected abstract virgin(e: Expr, plainToo: boolean): void;

	/** An error DTrace finds only when it generates code, after checking the whole clause. */
	protected deferred: DTypeError | null = null;

	protected defer(e: DTypeError): void {
		this.deferred ??= e;
	}

	/** Is this (already typed) expression an integer constant 0, such as NULL? */
	protected isNull(e: Expr): boolean {
		const t = this.types.get(e);
		return t !== undefined && isInteger(t) && this.constant(e)?.value === 0n;
	}

	// -- constants ----------------------------------------------------------------

	/** Values of names the evaluator cannot see: inlines, library constants, NULL, sizeof. */
	protected readonly resolve = (e: Expr): Value | undefined => {
		if (e.kind === "ident") {
			const inline = this.inlines.get(e.name);
			if (inline) {
				const v = evaluate(inline.value, this.resolve, this.strsize);
				return v && isInteger(inline.type) ? { value: v.value, type: inline.type } : undefined;
			}
			if (this.globals.has(e.name)) return undefined;
			const c = LIBRARY_CONSTANTS.get(e.name);
			if (c !== undefined) return { value: c, type: INT };
			if (e.name === NULL_NAME) return { value: 0n, type: LONG };
		}
		if (e.kind === "sizeof" && e.operand) {
			const t = this.types.get(e.operand);
			const size = t && sizeOf(t, this.strsize);
			if (size !== undefined) return { value: BigInt(size), type: SIZE_T };
		}
		return undefined;
	};

	/** The value of a constant expression (after it was typed), or undefined. */
	protected constant(e: Expr): Value | undefined {
		return evaluate(e, this.resolve, this.strsize);
	}

	// -- expressions --------------------------------------------------------------

	/** Type an expression (recording its type). */
	expr(e: Expr): DType {
		const t = this.typeOf(e);
		this.types.set(e, t);
		return t;
	}

	protected scope(e: Expr, s: Scope): void {
		this.scopes.set(e, s);
	}

	private typeOf(e: Expr): DType {
		switch (e.kind) {
			case "int":
				if (FROM_MACRO.has(e)) this.scope(e, "macro");
				return literalType(e);
			case "string":
				if (FROM_MACRO.has(e)) this.scope(e, "macro");
				return STRING;
			case "builtin":
				return this.builtin(e.name, e.pos, e);
			case "self":
			case "this":
			case "ident":
				return this.variable(e);
			case "aggvar":
				return this.aggregation(e);
			case "macro":
				throw new DTypeError(
					e.pos,
					`macro ${/^[0-9]/.test(e.name) ? "argument" : "variable"} $${e.stringify ? "$" : ""}${e.name} is not defined`,
					"D_MACRO_UNDEF",
				);
			case "unary":
				return this.unary(e);
			case "incdec":
				return this.incdec(e);
			case "binary":
				return this.binary(e);
			case "ternary":
				return this.ternary(e);
			case "assignexpr":
				return this.assignment(e);
			case "call":
				return this.call(e, false);
			case "index":
				return this.index(e);
			case "member":
				return this.member(e.base, e.op, e.member, e.pos);
			case "cast":
				return this.cast(e.operand, resolveType(e.type), e.pos);
			case "sizeof":
				return this.sizeofExpr(e.type ? resolveType(e.type) : null, e.operand, e.pos);
			case "stringof": {
				this.virgin(e.operand, false);
				const t = this.expr(e.operand);
				if (!isScalar(t) && t.k !== "string")
					throw new DTypeError(e.pos, `cannot apply stringof to a value of type ${typeName(t)}`, "D_STRINGOF_TYPE");
				return STRING;
			}
			case "offsetof":
				throw kernelTypes(e.pos, "offsetof()");
			case "xlate":
				throw kernelTypes(e.pos, "xlate (a translator)");
			case "field":
				return e.type;
			case "kmem":
				return e.str !== undefined ? STRING : { k: "int", name: e.text, size: e.size, signed: e.signed };
		}
	}

	protected builtin(name: string, pos: Position, e: Expr): DType {
		this.facts?.builtins.add(name);
		this.scope(e, "builtin");
		const struct = KERNEL_STRUCT_BUILTINS.get(name);
		if (struct) throw kernelTypes(pos, `'${name}' (a ${struct})`);
		if (name === "args" || name === "uregs") {
			throw new DTypeError(pos, `${name}[ ] must be indexed, as in ${name}[0]`, "D_IDENT_BADREF");
		}
		if (this.clause === null && (/^arg[0-9]$/.test(name) || name === "retval")) {
			throw new DTypeError(pos, `${name} may not be referenced outside of a probe clause`, "D_ARGS_NONE");
		}
		return BUILTIN_TYPES.get(name)!;
	}

	private unary(e: UnaryExpr): DType {
		this.virgin(e.operand, false);
		const t = this.expr(e.operand);
		switch (e.op) {
			case "-":
			case "+":
				if (!isInteger(t)) {
					if (t.k === "float") throw unsupported(e.pos, "floating-point arithmetic is not supported");
					throw new DTypeError(e.pos, `operator ${e.op} requires an operand of arithmetic type`, "D_OP_ARITH");
				}
				return t;
			case "~":
				if (!isInteger(t)) throw new DTypeError(e.pos, "operator ~ requires an operand of integral type", "D_OP_INT");
				return t;
			case "!":
				if (!isScalar(t)) throw new DTypeError(e.pos, "operator ! requires an operand of scalar type", "D_OP_SCALAR");
				return INT;
			case "*":
				if (t.k !== "ptr") throw new DTypeError(e.pos, "cannot dereference non-pointer type", "D_DEREF_NONPTR");
				if (t.to.k === "void") throw new DTypeError(e.pos, "cannot dereference pointer to void", "D_DEREF_VOID");
				throw unsupported(
					e.pos,
					"dereferencing a pointer ('*') reads memory through C types, which dtop does not support; copy the data with copyin() or copyinstr()",
				);
			case "&": {
				const o = e.operand;
				if (o.kind === "self" || o.kind === "this" || o.kind === "index") {
					throw new DTypeError(e.pos, "cannot take address of dynamic variable", "D_ADDROF_VAR");
				}
				if (o.kind === "ident") {
					if (o.name.includes("`")) throw kernelTypes(e.pos, "the address of a kernel symbol");
					throw unsupported(
						e.pos,
						`taking the address of a variable ('&${o.name}') is not supported: dtop has no pointers`,
					);
				}
				if (o.kind === "member" || (o.kind === "unary" && o.op === "*"))
					throw unsupported(e.pos, "taking an address ('&') needs the kernel's C types");
				throw new DTypeError(e.pos, "unacceptable operand for unary & operator", "D_ADDROF_LVAL");
			}
		}
	}

	private binary(e: BinaryExpr): DType {
		const l = this.expr(e.left);
		const r = this.expr(e.right);
		const op = e.op;
		const incompatible = () =>
			new DTypeError(e.pos, `operands have incompatible types: ${quoted(l)} ${op} ${quoted(r)}`, "D_OP_INCOMPAT");
		switch (op) {
			case ",":
				return r;
			case "&":
			case "^":
			case "|":
			case "%":
			case "<<":
			case ">>":
				if (!isInteger(l) || !isInteger(r))
					throw new DTypeError(e.pos, `operator ${op} requires operands of integral type`, "D_OP_INT");
				if (op === "%") this.divisor(e);
				return op === "<<" || op === ">>" ? l : promote(l, r);
			case "*":
			case "/":
				if (!isInteger(l) || !isInteger(r)) {
					if (l.k === "float" || r.k === "float")
						throw unsupported(e.pos, "floating-point arithmetic is not supported");
					throw new DTypeError(e.pos, `operator ${op} requires operands of arithmetic type`, "D_OP_ARITH");
				}
				if (op === "/") this.divisor(e);
				return promote(l, r);
			case "&&":
			case "||":
			case "^^":
				if (!isScalar(l) || !isScalar(r))
					throw new DTypeError(e.pos, `operator ${op} requires operands of scalar type`, "D_OP_SCALAR");
				return INT;
			case "<":
			case "<=":
			case ">":
			case ">=":
			case "==":
			case "!=":
				if (isInteger(l) && isInteger(r)) return INT;
				if (isStringLike(l) && isStringLike(r) && (l.k === "string" || r.k === "string")) return INT;
				if ((l.k === "ptr" && r.k === "ptr") || ((isStringLike(l) || l.k === "ptr") && this.isNull(e.right)))
					return INT;
				if ((isStringLike(r) || r.k === "ptr") && this.isNull(e.left)) return INT;
				if (l.k === r.k && (l.k === "stack" || l.k === "symaddr")) return INT;
				throw incompatible();
			case "+":
			case "-":
				if (isInteger(l) && isInteger(r)) return promote(l, r);
				if ((l.k === "ptr" || l.k === "string") && (isInteger(r) || (r.k === l.k && op === "-"))) {
					throw unsupported(e.pos, `pointer arithmetic (${typeName(l)} ${op} ${typeName(r)}) is not supported`);
				}
				if (op === "+" && isInteger(l) && (r.k === "ptr" || r.k === "string")) {
					throw unsupported(e.pos, `pointer arithmetic (${typeName(l)} + ${typeName(r)}) is not supported`);
				}
				throw incompatible();
		}
	}

	/** A constant zero divisor is a compile-time error. */
	private divisor(e: BinaryExpr): void {
		const v = this.constant(e.right);
		if (v && v.value === 0n) throw new DTypeError(e.pos, "expression contains division by zero", "D_DIV_ZERO");
	}

	private ternary(e: TernaryExpr): DType {
		const c = this.expr(e.cond);
		if (!isScalar(c)) throw new DTypeError(e.pos, "operator ?: expression must be of scalar type", "D_OP_SCALAR");
		const a = this.expr(e.whenTrue);
		const b = this.expr(e.whenFalse);
		if (a.k === "void" || b.k === "void")
			throw new DTypeError(e.pos, "action cannot be used in a conditional context", "D_OP_ACT");
		if (isInteger(a) && isInteger(b)) return promote(a, b);
		if (isStringLike(a) && isStringLike(b) && (a.k === "string" || b.k === "string")) return STRING;
		if ((a.k === "ptr" || a.k === "string") && this.isNull(e.whenFalse)) return a;
		if ((b.k === "ptr" || b.k === "string") && this.isNull(e.whenTrue)) return b;
		if (a.k === b.k && typeName(a) === typeName(b)) return a;
		throw new DTypeError(e.pos, "operator ?: operands must have compatible types", "D_OP_INCOMPAT");
	}

	private member(base: Expr, op: string, member: string, pos: Position): DType {
		const b = base.kind === "builtin" && KERNEL_STRUCT_BUILTINS.has(base.name) ? undefined : this.expr(base);
		if (b === undefined) {
			this.facts?.builtins.add((base as { name: string }).name);
			throw kernelTypes(pos, `'${(base as { name: string }).name}${op}${member}'`);
		}
		if (base.kind === "index" && base.base.kind === "builtin" && base.base.name === "args")
			throw kernelTypes(pos, `'args[...]${op}${member}' (a probe argument's members)`);
		if (b.k === "ptr" || b.k === "sou") throw kernelTypes(pos, `the member access '${op}${member}'`);
		if (op === "->") {
			throw new DTypeError(pos, `operator -> must be applied to a pointer`, "D_OP_PTR");
		}
		throw new DTypeError(
			pos,
			`operator . cannot be applied to type "${typeName(b)}"; must be applied to a struct or union`,
			"D_OP_SOU",
		);
	}

	private cast(operand: Expr, to: DType, pos: Position): DType {
		const from = this.expr(operand);
		const invalid = () =>
			new DTypeError(pos, `invalid cast expression: ${quoted(from)} to ${quoted(to)}`, "D_CAST_INVAL");
		switch (to.k) {
			case "int":
				if (isInteger(from) || from.k === "ptr") return to;
				throw invalid();
			case "ptr":
				if (isInteger(from) || from.k === "ptr" || (from.k === "string" && isStringLike(to))) return to;
				throw invalid();
			case "string":
				if (isStringLike(from) || from.k === "ptr") return to;
				throw invalid();
			case "void":
				return to;
			case "float":
				throw unsupported(pos, "floating-point types are not supported");
			default:
				throw invalid();
		}
	}

	private sizeofExpr(type: DType | null, operand: Expr | null, pos: Position): DType {
		let t = type;
		if (operand) {
			this.virgin(operand, false);
			if (operand.kind === "ident") {
				const g = this.globals.get(operand.name);
				if (g?.keys)
					throw new DTypeError(
						pos,
						`associative array '${operand.name}' may not be referenced as scalar`,
						"D_IDENT_BADREF",
					);
			}
			t = this.expr(operand);
		}
		if (t!.k === "sou") throw kernelTypes(pos, `sizeof(${typeName(t!)})`);
		if (sizeOf(t!, this.strsize) === undefined)
			throw new DTypeError(pos, "cannot apply sizeof to an operand of unknown size", "D_SIZEOF_TYPE");
		return SIZE_T;
	}
}
