// D for dtop. The names exported here at the top level are today's subset (what the
// back end compiles) and the functions that work on both; the full language's tree and
// checker results are under `full` (or import syntax.ts, scope.ts directly).

export * from "./ast.ts";
export {
	type AggregationInfo,
	type CheckedProgram,
	type ClauseInfo,
	check,
	constantValue,
	type DType,
	type LquantizeParams,
} from "./check.ts";
export { DError, DSyntaxError, DTypeError, escapeControls, NO_POS, type Position, UNSUPPORTED } from "./errors.ts";
export { evaluate, interpret, literalType, type Value } from "./eval.ts";
export { expandMacros, expandProgramMacros, type MacroValues } from "./macros.ts";
export {
	defaultOptions,
	OPTIONS,
	OptionError,
	type OptionSpec,
	type OptionValue,
	parseOptionFlag,
	parseOptionValue,
	programOptions,
} from "./options.ts";
export { MAX_PROGRAM_BYTES, type ParseOptions, parseExpression, parseProgram } from "./parser.ts";
export { print, quoteString } from "./printer.ts";
export { parseProbeDescription, probe, probeText } from "./probe.ts";
export type * as scope from "./scope.ts";
export type * as full from "./syntax.ts";
