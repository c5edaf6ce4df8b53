// What the checker accepts but dtop's code generator does not compile yet,
// refused after checking and before anything is loaded, with line and column.
import type { Statement } from "./ast.ts";
import type { CheckedProgram } from "./check.ts";
import { DTypeError } from "./errors.ts";

function walk(ss: Statement[], f: (s: Statement) => void): void {
	for (const s of ss) {
		f(s);
		if (s.kind === "if") {
			walk(s.body, f);
			walk(s.otherwise ?? [], f);
		}
	}
}

/** Throw the first construct of a checked program that dtop cannot compile yet. */
export function refuseUncompiled(c: CheckedProgram): void {
	for (const clause of c.program.clauses) {
		// Nothing is refused here at present (self-> strings compile since lower-self.ts).
		walk(clause.statements, () => {});
	}
}
