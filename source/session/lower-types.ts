// D's integer types of the expressions dtop compiles, as the reference evaluator
// (source/d/eval.ts) gives them: a constant's type from its value, radix and
// suffix; + - * & | ^ / % the promoted type; << >> the left operand's; comparisons
// and logical operators int; a variable the type of its first assignment. They
// decide signed or unsigned division, shifts and comparisons, and what a cast or
// a store into a narrower variable keeps.
import type { IntExpr } from "../../kernel/codegen/ir.ts";
import type { Expr, LValue, Program, Statement } from "../d/ast.ts";
import { varKey } from "../d/check.ts";
import { declaredVars } from "../d/check-subset.ts";
import { literalType } from "../d/eval.ts";
import { INT, INT64, type IntType, isInteger, promote, resolveType, SIZE_T, UINT32, UINT64 } from "../d/types.ts";

/** Variable types by varKey (`global:x`, `this:x`, `self:x`, `assoc:a`). */
export type VarTypes = Map<string, IntType>;

/** The types DTrace gives its built-in variables (pid_t, uid_t, uint64_t, ...). */
export function builtinType(name: string): IntType {
	switch (name) {
		case "pid":
		case "tid":
		case "ppid":
		case "cpu":
			return INT;
		case "uid":
		case "gid":
			return UINT32;
		case "timestamp":
		case "vtimestamp":
		case "cgroup":
			return UINT64;
		default:
			return INT64;
	}
}

export function typeOf(e: Expr, vars: VarTypes): IntType {
	switch (e.kind) {
		case "int":
			return literalType(e);
		case "builtin":
			return builtinType(e.name);
		case "self":
		case "this":
		case "ident":
		case "index":
			return vars.get(varKey(e)) ?? INT64;
		case "unary":
			return e.op === "!" ? INT : typeOf(e.operand, vars);
		case "incdec":
			return typeOf(e.operand, vars);
		case "assignexpr":
			return typeOf(e.target, vars);
		case "binary":
			if (["==", "!=", "<", "<=", ">", ">=", "&&", "||", "^^"].includes(e.op)) return INT;
			if (e.op === "<<" || e.op === ">>") return typeOf(e.left, vars);
			return promote(typeOf(e.left, vars), typeOf(e.right, vars));
		case "ternary":
			return promote(typeOf(e.whenTrue, vars), typeOf(e.whenFalse, vars));
		case "cast": {
			const t = resolveType(e.type);
			return isInteger(t) ? t : INT64;
		}
		case "call":
			if (e.fn === "index" || e.fn === "rindex") return INT;
			return e.fn === "strlen" ? SIZE_T : UINT64;
		case "string":
			return INT64;
		case "field":
			return e.type;
		case "kmem":
			return { k: "int", name: e.text, size: e.size, signed: e.signed };
	}
}

/** A register holding a `from` value as type `to` keeps (eval.ts cast(): the same rules). */
export function castTo(e: IntExpr, from: IntType, to: IntType): IntExpr {
	if (to.size === 8) return e;
	if (to.size > from.size && (to.signed || !from.signed)) return e;
	if (to.size === from.size && to.signed === from.signed) return e;
	return { k: "ext", e, size: to.size as 1 | 2 | 4, signed: to.signed };
}

function walkAssignments(ss: Statement[], f: (target: LValue, op: string, value: Expr) => void): void {
	for (const s of ss) {
		if (s.kind === "assign") f(s.target, s.op, s.value);
		else if (s.kind === "if") {
			walkAssignments(s.body, f);
			walkAssignments(s.otherwise ?? [], f);
		}
	}
}

/** Each variable's type: that of the value first assigned to it (in program order, once types settle). */
export function inferVarTypes(program: Program): VarTypes {
	const vars: VarTypes = new Map();
	const declared = new Set<string>();
	for (const [k, v] of declaredVars(program)) {
		declared.add(k);
		if (v.type.k === "int") vars.set(k, v.type);
	}
	for (let pass = 0; pass < 4; pass++) {
		const seen = new Set<string>();
		for (const c of program.clauses) {
			walkAssignments(c.statements, (target, op, value) => {
				const key = varKey(target);
				if (seen.has(key) || declared.has(key)) return;
				seen.add(key);
				// A variable first made by ++ or a compound assignment is int64_t in DTrace
				// (its aggs/ tests print such keys 16 wide), whatever the right-hand side.
				vars.set(key, op === "=" ? typeOf(value, vars) : (vars.get(key) ?? INT64));
			});
		}
	}
	return vars;
}
