// Lowering of `container` (source/session/containers.ts): a number in BPF, a
// name to the user. `container == "NAME"` and `!=` compare numbers (NAME gets
// its number now, so a container that appears later matches); as a key it is
// decoded back to the name.
import type { IntExpr } from "../../kernel/codegen/ir.ts";
import type { Expr } from "../d/ast.ts";
import { type LowerEnv, LowerError } from "./lower.ts";

function fail(what: string, e: { pos: { line: number; column: number } }): LowerError {
	const where = e.pos.line > 0 ? `line ${e.pos.line}, column ${e.pos.column}: ` : "";
	return new LowerError(`${where}${what}`);
}

const isContainer = (e: Expr) => e.kind === "builtin" && e.name === "container";

export function containerExpr(env: LowerEnv, at: Expr): IntExpr {
	if (!env.containers) throw fail("'container' is not available here.", at);
	const t = env.containers();
	return { k: "container", namesFd: t.names.fd, missesFd: t.misses.fd };
}

/** `container OP "NAME"` (either side), or undefined when neither side is `container`. */
export function containerCompare(op: string, l: Expr, r: Expr, env: LowerEnv, at: Expr): IntExpr | undefined {
	if (!isContainer(l) && !isContainer(r)) return undefined;
	const other = isContainer(l) ? r : l;
	if (isContainer(other)) return { k: "const", v: op === "==" || op === "<=" || op === ">=" ? 1n : 0n };
	if (other.kind !== "string" || (op !== "==" && op !== "!="))
		throw fail("'container' can only be compared with a string constant, using == or !=.", at);
	const n = env.containers!().intern(other.value);
	return { k: "bin", op, l: containerExpr(env, at), r: { k: "const", v: BigInt(n) } };
}
