// Binary operators of an integer expression (compile.ts's evalInt): arithmetic,
// bitwise, shifts, comparisons and the logical operators, into R0 (the left
// operand spilled to an expression slot while the right one is evaluated).

import { R0, R1, R2, R10 } from "../bpf/asm.ts";
import { CodegenError, evalInt, label, type State, slot } from "./compile.ts";
import { checkDivisor } from "./faults.ts";
import type { IntExpr } from "./ir.ts";

/** R0 = (R0 <op> 0) ? 1 : 0 for "==" (logical not) or "!=" (to boolean). */
export function boolify(s: State, op: "==" | "!="): void {
	const a = s.a;
	const t = label(s, "bool_t");
	const done = label(s, "bool_d");
	if (op === "==") a.jeq(R0, 0, t);
	else a.jne(R0, 0, t);
	a.mov(R0, 0).ja(done);
	a.label(t).mov(R0, 1);
	a.label(done);
}

export function evalBin(s: State, op: string, l: IntExpr, r: IntExpr, unsigned: boolean): void {
	const a = s.a;
	if (op === "^^") {
		const off = slot(s.depth);
		evalInt(s, l);
		boolify(s, "!=");
		a.stx(8, R10, off, R0);
		s.depth++;
		evalInt(s, r);
		s.depth--;
		boolify(s, "!=");
		a.ldx(8, R1, R10, off).xor(R0, R1);
		return;
	}
	if (op === "&&" || op === "||") {
		const done = label(s, "logic_d");
		evalInt(s, l);
		boolify(s, "!=");
		if (op === "&&") a.jeq(R0, 0, done);
		else a.jne(R0, 0, done);
		evalInt(s, r);
		boolify(s, "!=");
		a.label(done);
		return;
	}
	evalInt(s, l);
	const off = slot(s.depth);
	a.stx(8, R10, off, R0);
	s.depth++;
	evalInt(s, r);
	s.depth--;
	a.mov(R1, R0); // right
	a.ldx(8, R0, R10, off); // left
	switch (op) {
		case "+":
			a.add(R0, R1);
			return;
		case "-":
			a.sub(R0, R1);
			return;
		case "*":
			a.mul(R0, R1);
			return;
		case "&":
			a.and(R0, R1);
			return;
		case "|":
			a.or(R0, R1);
			return;
		case "^":
			a.xor(R0, R1);
			return;
		case "<<":
			a.lsh(R0, R1);
			return;
		case ">>":
			// Arithmetic when the left operand's type is signed.
			if (unsigned) a.rsh(R0, R1);
			else a.arsh(R0, R1);
			return;
		case "/":
		case "%":
			checkDivisor(s);
			if (!unsigned) signedDivide(s, op);
			else if (op === "/") a.div(R0, R1);
			else a.mod(R0, R1);
			return;
		default: {
			const t = label(s, "cmp_t");
			const done = label(s, "cmp_d");
			switch (op) {
				case "==":
					a.jeq(R0, R1, t);
					break;
				case "!=":
					a.jne(R0, R1, t);
					break;
				case "<":
					if (unsigned) a.jlt(R0, R1, t);
					else a.jslt(R0, R1, t);
					break;
				case "<=":
					if (unsigned) a.jle(R0, R1, t);
					else a.jsle(R0, R1, t);
					break;
				case ">":
					if (unsigned) a.jgt(R0, R1, t);
					else a.jsgt(R0, R1, t);
					break;
				case ">=":
					if (unsigned) a.jge(R0, R1, t);
					else a.jsge(R0, R1, t);
					break;
				default:
					throw new CodegenError(`operator '${op}' is not supported.`);
			}
			a.mov(R0, 0).ja(done);
			a.label(t).mov(R0, 1);
			a.label(done);
		}
	}
}

/**
 * R0 = R0 / R1 or R0 % R1 with C's signed semantics, using unsigned division on
 * magnitudes (signed BPF division needs cpu v4, Linux 6.6+; dtop also runs on 6.1).
 * A zero divisor is a fault (checked before: faults.ts).
 */
function signedDivide(s: State, op: "/" | "%"): void {
	const a = s.a;
	const ln = label(s, "div_ln");
	const rn = label(s, "div_rn");
	const done = label(s, "div_d");
	// R2 = sign of result (for "/": sign(l) xor sign(r); for "%": sign(l))
	a.mov(R2, 0);
	a.jsge(R0, 0, ln).neg(R0).xor(R2, 1);
	a.label(ln);
	a.jsge(R1, 0, rn).neg(R1);
	if (op === "/") a.xor(R2, 1);
	a.label(rn);
	if (op === "/") a.div(R0, R1);
	else a.mod(R0, R1);
	a.jeq(R2, 0, done).neg(R0);
	a.label(done);
}
