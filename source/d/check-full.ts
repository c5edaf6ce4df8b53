// The checker of the full language: macros expanded, options read, declarations and
// inlines first (DTrace processes them as it parses), then every clause in program
// order (its predicate, then its statements), as DTrace's compiler does.

import { AggChecker } from "./check-aggs.ts";
import { DTypeError } from "./errors.ts";
import { expandProgramMacros } from "./macros.ts";
import { defaultOptions, type OptionValue, programOptions } from "./options.ts";
import type { CheckOptions, ClauseFacts, FullCheckedProgram } from "./scope.ts";
import type { Clause, Expr, Program, Statement } from "./syntax.ts";
import { type DType, isScalar, typeName } from "./types.ts";

const emptyFacts = (clause: Clause): ClauseFacts => ({
	clause,
	defaultAction: clause.statements.length === 0,
	builtins: new Set(),
	functions: new Set(),
	reads: { global: new Set(), self: new Set(), this: new Set() },
	writes: { global: new Set(), self: new Set(), this: new Set() },
	aggregations: new Set(),
	speculative: false,
	destructive: false,
	records: false,
});

class ProgramChecker extends AggChecker {
	readonly clauses: ClauseFacts[] = [];

	constructor(
		private readonly options: CheckOptions,
		strsize: number,
	) {
		super(strsize);
	}

	protected argType(n: number): DType | undefined {
		return this.clause ? this.options.argType?.(this.clause, n) : undefined;
	}

	program(p: Program): void {
		const decls = [...p.declarations].sort((a, b) => a.pos.offset - b.pos.offset);
		for (const d of decls) {
			if (d.kind === "inline") this.defineInline(d);
			else this.declare(d);
		}
		for (const c of p.clauses) this.clauseOf(c);
	}

	/**
	 * DTrace checks a clause's statements before its predicate; if a statement reads a
	 * variable not yet known, it checks the predicate first and then the statements again
	 * (dt_cook_clause), keeping what the first attempt created.
	 */
	private clauseOf(c: Clause): void {
		this.clause = c;
		this.facts = emptyFacts(c);
		try {
			this.body(c);
			this.predicate(c);
		} catch (e) {
			const undefinedName = e instanceof DTypeError && (e.code === "D_IDENT_UNDEF" || e.code === "D_VAR_UNDEF");
			if (!c.predicate || !undefinedName) throw e;
			this.predicate(c);
			this.body(c);
		}
		this.clauses.push(this.facts);
	}

	private body(c: Clause): void {
		this.flags = { datarec: false, aggregation: false, speculate: false, commit: false };
		this.deferred = null;
		for (const s of c.statements) this.statement(s);
		if (this.deferred) throw this.deferred;
	}

	private predicate(c: Clause): void {
		if (!c.predicate) return;
		const t = this.expr(c.predicate);
		if (!isScalar(t)) {
			throw new DTypeError(
				c.predicate.pos,
				`predicate result must be of scalar type, not ${typeName(t)}`,
				"D_PRED_SCALAR",
			);
		}
	}

	private statement(s: Statement): void {
		switch (s.kind) {
			case "aggregate":
				this.aggregate(s);
				return;
			case "assign":
				this.assign(s.target, s.op, s.value, s.opPos);
				return;
			case "expr": {
				const e = s.expr;
				if (e.kind === "call") this.types.set(e, this.call(e, true));
				else if (e.kind === "aggvar" || (e.kind === "index" && e.base.kind === "aggvar")) {
					const name = e.kind === "aggvar" ? e.name : (e.base as { name: string }).name;
					if (e.kind === "aggvar" && !this.aggregations.has(name))
						throw new DTypeError(e.pos, `failed to resolve @${name}: Unknown variable name`, "D_IDENT_UNDEF");
					throw new DTypeError(e.pos, `@${name} must be assigned the result of an aggregating function`, "D_AGG_NULL");
				} else this.expr(e);
				return;
			}
			case "if": {
				const t = this.expr(s.cond);
				if (!isScalar(t))
					throw new DTypeError(s.cond.pos, `if condition must be of scalar type, not ${typeName(t)}`, "D_PRED_SCALAR");
				for (const x of s.body) this.statement(x);
				for (const x of s.otherwise ?? []) this.statement(x);
				return;
			}
		}
	}
}

/** The options a program runs with: DTrace's defaults, then `given`, then the pragmas. */
export function optionsOf(program: Program, given?: ReadonlyMap<string, OptionValue>): Map<string, OptionValue> {
	const out = defaultOptions();
	for (const [k, v] of given ?? []) out.set(k, v);
	for (const [k, v] of programOptions(program)) out.set(k, v);
	return out;
}

/** Type-check a program of the full language. Throws DError (with DTrace's tag in `code`). */
export function checkFull(program: Program, options: CheckOptions): FullCheckedProgram {
	const opts = optionsOf(program, options.options);
	const expanded = options.macros
		? expandProgramMacros(program, {
				...options.macros,
				defaultArgs: options.macros.defaultArgs ?? opts.get("defaultargs") === true,
				argRef: options.macros.argRef ?? opts.get("argref") === true,
			})
		: program;
	const strsize = Number(opts.get("strsize") ?? 256);
	const checker = new ProgramChecker(options, strsize);
	checker.program(expanded);
	const types = checker.types;
	return {
		program: expanded,
		types,
		scopes: checker.scopes,
		globals: checker.globals,
		selfVars: checker.selfVars,
		thisVars: checker.thisVars,
		inlines: checker.inlines,
		aggregations: checker.aggregations,
		clauses: checker.clauses,
		options: opts,
		typeOf(e: Expr): DType {
			const t = types.get(e);
			if (t === undefined) throw new RangeError("expression is not part of the checked program");
			return t;
		},
	};
}
