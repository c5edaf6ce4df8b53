// The D subset dtop speaks: parse, check, print, and build clauses in code.

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
export { DError, DSyntaxError, DTypeError, NO_POS, type Position } from "./errors.ts";
export { parseExpression, parseProgram } from "./parser.ts";
export { print, quoteString } from "./printer.ts";
export { expandMacros, type MacroValues, parseProbeDescription, probe, probeText } from "./probe.ts";
