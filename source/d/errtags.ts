// DTrace's error tags (libdtrace/dt_errtags.h; the names of DTrace's err.D_TAG.*.d
// tests) for dtop's error sites whose tag is not their class's default (D_SYNTAX for
// DSyntaxError, D_OP_INCOMPAT for DTypeError), and DTrace's words where dtop's
// message says more or says it otherwise. A throw site spreads its entry into the
// error's constructor:
//
//   throw new DSyntaxError(t.pos, `syntax error near ";": expected an expression`, ...TAG.syntax('";"'));
//
// The error then carries the tag (DError.code) and DTrace's words (DError.said), which
// the CLI prints as dtrace(1) does (source/app/compile-error.ts): with -x errtags,
// `failed to compile script FILE: [D_SYNTAX] line 3: syntax error near ";"`.
import { type DErrorOptions, UNSUPPORTED } from "./errors.ts";
import { FUNCTIONS } from "./functions.ts";

/** The last two arguments of a DError's constructor: its tag and options. */
export type Tag = [code: string, options: DErrorOptions];

const tag = (code: string, dtrace?: string): Tag => [code, dtrace === undefined ? {} : { dtrace }];

export const TAG = {
	/** A token the grammar does not allow here (dt_grammar.y's yyerror). */
	syntax: (near: string) => tag("D_SYNTAX", `syntax error near ${near}`),
	/** A name that is no variable, built-in or function (dt_parser.c's dt_xcook_ident). */
	unknownVariable: (name: string) => tag("D_IDENT_UNDEF", `failed to resolve ${name}: Unknown variable name`),
	/** `@a;` or `@a[k];`: an aggregation named without an aggregating function. */
	aggregationAlone: (name: string, known: boolean) =>
		known ? tag("D_AGG_NULL", `expression has null effect: @${name}`) : tag("D_IDENT_UNDEF"),
	/** `@a = f()` where f is not an aggregating function. */
	notAggregatingFunction: () => tag("D_FUNC_UNDEF"),
	/** `@a = trace(1)`: a function that is not an aggregating one (its name DTrace knows). */
	notAggregating: () => tag("D_AGG_FUNC"),
	/** An aggregation assigned another aggregating function than before. */
	aggregationRedefined: () => tag("D_AGG_REDEF"),
	/** An aggregation's value used in an expression (`trace(@a + 3)`). */
	aggregationInExpression: () => tag("D_OP_INCOMPAT"),
	/** An aggregating function called with the wrong number of arguments. */
	aggregationArity: (fn: string, passed: string, expected: string) =>
		tag("D_PROTO_LEN", `${fn}( ) prototype mismatch: ${passed} passed, ${expected} expected`),
	/** An aggregating function's value that is not a scalar (`avg("a")`). */
	aggregationScalar: () => tag("D_AGG_SCALAR"),
	/** count() and friends outside an aggregation's assignment (`clear(count())`). */
	aggregatingFunctionOutside: (fn: string) =>
		tag(fn === "clear" ? "D_CLEAR_AGGARG" : fn === "denormalize" ? "D_NORMALIZE_AGGARG" : "D_AGG_FUNC"),
	/** A binary operator given operands it does not take (dt_parser.c's dt_cook_op2). */
	operands: (op: string) =>
		/^(&|\||\^|<<|>>|%)$/.test(op)
			? tag("D_OP_INT", `operator ${op} requires operands of integral type`)
			: /^(\*|\/)$/.test(op)
				? tag("D_OP_ARITH", `operator ${op} requires operands of arithmetic type`)
				: /^(&&|\|\||\^\^)$/.test(op)
					? tag("D_OP_SCALAR", `operator ${op} requires operands of scalar type`)
					: tag("D_OP_INCOMPAT"),
	/** A unary operator given an operand it does not take (dt_cook_op1). */
	operand: (op: string) =>
		op === "~"
			? tag("D_OP_INT", `operator ${op} requires an operand of integral type`)
			: op === "!"
				? tag("D_OP_SCALAR", `operator ${op} requires an operand of scalar type`)
				: op === "++" || op === "--"
					? tag("D_OP_SCALAR", `operator ${op} requires operand of scalar type`)
					: tag("D_OP_ARITH", `operator ${op} requires an operand of arithmetic type`),
	/** `?:` whose condition is not a scalar. */
	ternaryCondition: () => tag("D_OP_SCALAR", "operator ?: expression must be of scalar type"),
	/** A constant divisor of zero. */
	divisionByZero: () => tag("D_DIV_ZERO", "expression contains division by zero"),
	/** A program with no clauses. */
	emptyProgram: () => tag("D_EMPTY", "empty D program translation unit"),
	/** exit( ) given a non-integer. */
	exitArgument: (type: string) =>
		tag("D_PROTO_ARG", `exit( ) argument #1 is incompatible with prototype: prototype: int; argument: ${type}`),
	/** A call of `fn` with `n` arguments where it takes `min` to `max` (dt_ident.c's words). */
	protoLen: (fn: string, n: number, min: number, max: number) =>
		tag(
			"D_PROTO_LEN",
			`${fn}( ) prototype mismatch: ${n} arg${n === 1 ? "" : "s"} passed, ${
				n < min ? `${min < max ? "at least " : ""}${min}` : `${min < max ? "at most " : ""}${max}`
			} expected`,
		),
	/** Argument #`i` (1-based) of `fn` is of type `arg`, which its prototype does not take. */
	protoArg: (fn: string, i: number, arg: string, code = "D_PROTO_ARG") =>
		tag(
			code,
			`${fn}( ) argument #${i} is incompatible with prototype: prototype: ${FUNCTIONS.get(fn)?.protos[i - 1] ?? "?"}; argument: ${arg}`,
		),
	/** printf's format is not a string constant: an integer is D_PROTO_ARG, a string variable D_PRINTF_ARG_FMT. */
	printfFormat: (fn: string, arg: string) =>
		arg === "string"
			? tag(
					"D_PRINTF_ARG_FMT",
					`${fn}( ) argument #1 is incompatible with prototype: prototype: string constant; argument: string`,
				)
			: tag("D_PROTO_ARG", `${fn}( ) argument #1 is incompatible with prototype: prototype: string; argument: ${arg}`),
	/** printa( ) given something that is not an aggregation. */
	printaArgument: (i: number, arg: string) =>
		tag(
			"D_PRINTA_AGGARG",
			`printa( ) argument #${i} is incompatible with prototype: prototype: aggregation; argument: ${arg}`,
		),
	/** The same, when the argument's type is not plain from the text. */
	printaArgumentUntyped: () => tag("D_PRINTA_AGGARG"),
	/** lquantize( )'s rules (dt_aggregate's D_LQUANT_BASETYPE, _BASEVAL, _LIMTYPE, _LIMVAL, _MISMATCH, _STEP*). */
	lquantize: (
		rule:
			| "BASETYPE"
			| "BASEVAL"
			| "LIMTYPE"
			| "LIMVAL"
			| "MISMATCH"
			| "STEPTYPE"
			| "STEPVAL"
			| "STEPLARGE"
			| "STEPSMALL",
	) => tag(`D_LQUANT_${rule}`),
	/** An associative array used with another number of keys than before (dt_idcook_assc). */
	assocArity: (name: string, n: number, expected: number) =>
		tag("D_PROTO_LEN", `${name}[ ] prototype mismatch: ${n} key${n === 1 ? "" : "s"} passed, ${expected} expected`),
	/** An associative array's key #`i` (1-based) of another type than before. */
	assocKey: (name: string, i: number, proto: string, key: string) =>
		tag("D_PROTO_ARG", `${name}[ ] key #${i} is incompatible with prototype: prototype: ${proto}; key: ${key}`),
	/** clear( ), trunc( ), normalize( ), denormalize( ) of what is no aggregation (dt_cg.c's D_*_AGGARG). */
	aggActionArg: (fn: string, arg: { kind: string; fn?: string }) => {
		const t = arg.kind === "string" ? "string" : arg.kind === "int" ? "int" : undefined;
		const code = fn === "clear" ? "D_CLEAR_AGGARG" : fn === "trunc" ? "D_TRUNC_AGGARG" : "D_NORMALIZE_AGGARG";
		return tag(
			code,
			t && `${fn}( ) argument #1 is incompatible with prototype: prototype: aggregation; argument: ${t}`,
		);
	},
	/** Assigning a built-in variable (`pid = 1`). */
	notWritable: (op: string) => tag("D_OP_WRITE", `operator ${op} can only be applied to a writable variable`),
	/** Assigning, or `++`/`--` of, what is no variable (`3++`, `$pid++`). */
	notLvalue: (op: string) => tag("D_OP_LVAL", `operator ${op} requires modifiable lvalue as an operand`),
	/** D that dtop does not support (DTrace has no tag for this). */
	unsupported: () => tag(UNSUPPORTED),
} as const;
