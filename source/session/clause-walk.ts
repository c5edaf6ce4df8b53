// Walks over a D clause (source/d's AST) for the lowering (lower.ts) and its helpers:
// every statement, every expression node, and what a clause reads (probe arguments,
// stacks as aggregation keys).

import type { Clause, Expr, Statement } from "../d/ast.ts";

/** Does the clause read probe arguments (so programs must be split by argument layout)? */
export function usesArgs(c: Clause): boolean {
	let found = false;
	forEachExpr(c, (e) => {
		if (e.kind === "builtin" && (/^arg\d$/.test(e.name) || e.name === "retval")) found = true;
	});
	return found;
}

/** Every statement of a clause, those inside if/else included. */
export function allStatements(ss: Statement[]): Statement[] {
	return ss.flatMap((s) =>
		s.kind === "if" ? [s, ...allStatements(s.body), ...allStatements(s.otherwise ?? [])] : [s],
	);
}

/** Call `f` on every expression node of the clause (predicate and statements). */
export function forEachExpr(c: Clause, f: (e: Expr) => void): void {
	const visit = (e: Expr | null | undefined): void => {
		if (!e) return;
		f(e);
		switch (e.kind) {
			case "unary":
			case "cast":
				visit(e.operand);
				return;
			case "incdec":
				visit(e.operand);
				return;
			case "assignexpr":
				visit(e.target);
				visit(e.value);
				return;
			case "binary":
				visit(e.left);
				visit(e.right);
				return;
			case "ternary":
				visit(e.cond);
				visit(e.whenTrue);
				visit(e.whenFalse);
				return;
			case "index":
				e.keys.forEach(visit);
				return;
			case "call":
				e.args.forEach(visit);
				return;
			case "kmem":
				visit(e.base);
				return;
			default:
				return;
		}
	};
	visit(c.predicate);
	for (const s of allStatements(c.statements)) {
		if (s.kind === "aggregate") {
			s.keys.forEach(visit);
			s.args.forEach(visit);
		} else if (s.kind === "expr") {
			for (const a of s.expr.args) if (a.kind !== "aggvar") visit(a);
		} else if (s.kind === "if") visit(s.cond);
		else {
			visit(s.target);
			visit(s.value);
		}
	}
}

export function clauseUsesStacks(c: Clause): boolean {
	return allStatements(c.statements).some(
		(s) =>
			s.kind === "aggregate" &&
			s.keys.some((k) => k.kind === "call" && (k.fn === "ustack" || k.fn === "kstack" || k.fn === "stack")),
	);
}
