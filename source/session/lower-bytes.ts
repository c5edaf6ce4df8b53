// Lowers strtok, stringof, copyin, inet_ntoa and inet_ntop (checked as string
// subroutines: check-strings.ts) into the code generator's IR
// (kernel/codegen/bytes.ts).
import type { StrExpr } from "../../kernel/codegen/ir.ts";
import type { CallExpr } from "../d/ast.ts";
import { isNull } from "../d/bytes.ts";
import { type LowerEnv, LowerError, lowerInt, lowerStr } from "./lower.ts";

const AF_INET = 2n;

function at(e: { pos: { line: number; column: number } }): string {
	return e.pos.line > 0 ? `line ${e.pos.line}, column ${e.pos.column}: ` : "";
}

export function lowerBytesCall(e: CallExpr, env: LowerEnv): StrExpr | undefined {
	const [x, y] = e.args;
	switch (e.fn) {
		case "stringof":
			return lowerStr(x!, env);
		case "copyin":
			return { k: "copyin", addr: lowerInt(x!, env), size: lowerInt(y!, env) };
		case "strtok":
			if (isNull(y!))
				throw new LowerError(
					`${at(y!)}strtok() with a NULL delimiter faults in DTrace; give the delimiters as a string.`,
				);
			return isNull(x!)
				? { k: "strtok", delim: lowerStr(y!, env) }
				: { k: "strtok", s: lowerStr(x!, env), delim: lowerStr(y!, env) };
		case "inet_ntoa":
			return { k: "inet", af: { k: "const", v: AF_INET }, src: lowerStr(x!, env) };
		case "inet_ntop":
			return { k: "inet", af: lowerInt(x!, env), src: lowerStr(y!, env) };
	}
	return undefined;
}
