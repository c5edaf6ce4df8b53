// The subset's integer constant folding (lquantize() bounds, stack depths): 64-bit
// signed wrap-around as in C. (eval.ts has D's typed rules for the rest.)
import type * as core from "./ast.ts";

/**
 * The value of an integer constant expression (literals combined with unary and binary
 * operators), with 64-bit signed wrap-around as in C; undefined if not constant (or if
 * it divides by zero or shifts by 64 or more).
 */
export function constantValue(e: core.Expr): bigint | undefined {
	switch (e.kind) {
		case "int":
			return BigInt.asIntN(64, e.value);
		case "unary": {
			const v = constantValue(e.operand);
			if (v === undefined) return undefined;
			if (e.op === "-") return BigInt.asIntN(64, -v);
			if (e.op === "~") return BigInt.asIntN(64, ~v);
			return v === 0n ? 1n : 0n;
		}
		case "binary": {
			const l = constantValue(e.left);
			const r = constantValue(e.right);
			if (l === undefined || r === undefined) return undefined;
			const w = (v: bigint) => BigInt.asIntN(64, v);
			switch (e.op) {
				case "+":
					return w(l + r);
				case "-":
					return w(l - r);
				case "*":
					return w(l * r);
				case "/":
					return r === 0n ? undefined : w(l / r);
				case "%":
					return r === 0n ? undefined : w(l % r);
				case "<<":
					return r < 0n || r > 63n ? undefined : w(l << r);
				case ">>":
					return r < 0n || r > 63n ? undefined : l >> r;
				case "&":
					return l & r;
				case "|":
					return l | r;
				case "^":
					return l ^ r;
				case "<":
					return l < r ? 1n : 0n;
				case "<=":
					return l <= r ? 1n : 0n;
				case ">":
					return l > r ? 1n : 0n;
				case ">=":
					return l >= r ? 1n : 0n;
				case "==":
					return l === r ? 1n : 0n;
				case "!=":
					return l !== r ? 1n : 0n;
				case "&&":
					return l !== 0n && r !== 0n ? 1n : 0n;
				case "||":
					return l !== 0n || r !== 0n ? 1n : 0n;
			}
			return undefined;
		}
		default:
			return undefined;
	}
}
