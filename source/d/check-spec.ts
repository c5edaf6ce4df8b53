// DTrace's rules on speculations within one clause (dt_cg_clsflags): speculate()
// comes before any data-recording action and at most once; commit() comes before
// any data-recording action; nothing records data, aggregates or exits after
// speculate() or commit() where DTrace refuses it. Checked in statement order,
// with DTrace's error tags and texts.
import type { Clause, Expr, Statement } from "./ast.ts";
import { DTypeError } from "./errors.ts";

/** Actions whose data go into the clause's record (DTrace's data-recording actions). */
const RECORDS = new Set(["printf", "trace", "printa", "exit"]);

interface Flags {
	datarec: boolean;
	speculate: boolean;
	commit: boolean;
	aggregation: boolean;
}

/** Throw the first speculation rule the clause breaks. */
export function checkSpeculationRules(c: Clause): void {
	const f: Flags = { datarec: false, speculate: false, commit: false, aggregation: false };
	walk(c.statements, f);
}

function walk(ss: Statement[], f: Flags): void {
	for (const s of ss) {
		if (s.kind === "if") {
			walk(s.body, f);
			walk(s.otherwise ?? [], f);
			continue;
		}
		if (s.kind === "aggregate") {
			if (f.speculate) throw new DTypeError(s.pos, "aggregating actions may not follow speculate( )", "D_AGG_SPEC");
			if (f.commit) throw new DTypeError(s.pos, "aggregating actions may not follow commit( )", "D_AGG_COMM");
			f.aggregation = true;
			continue;
		}
		if (s.kind !== "expr") continue;
		const e = s.expr;
		const err = (code: string, reason: string) => new DTypeError(e.pos, reason, code);
		switch (e.fn) {
			case "speculate":
				if (f.speculate) throw err("D_SPEC_SPEC", "speculate( ) may not follow speculate( )");
				if (f.commit) throw err("D_SPEC_COMM", "speculate( ) may not follow commit( )");
				if (f.datarec || f.aggregation)
					throw err("D_SPEC_DREC", "speculate( ) may not follow data-recording action(s)");
				f.speculate = true;
				continue;
			case "commit":
				if (f.datarec || f.aggregation) throw err("D_COMM_DREC", "commit( ) may not follow data-recording action(s)");
				f.commit = true;
				continue;
			case "discard":
				continue;
		}
		if (f.speculate && e.fn === "exit") throw err("D_EXIT_SPEC", "exit( ) may not follow speculate( )");
		if (!RECORDS.has(e.fn)) continue;
		if (f.commit) throw err("D_DREC_COMM", "data-recording actions may not follow commit( )");
		f.datarec = true;
	}
}

/** speculate(id), commit(id), discard(id): one integer argument (DTrace's prototype messages). */
export function checkSpeculationCall(fn: string, args: Expr[], types: string[], pos: Expr["pos"]): void {
	if (args.length !== 1)
		throw new DTypeError(
			pos,
			`${fn}( ) prototype mismatch: ${args.length} arg${args.length === 1 ? "" : "s"} passed, 1 expected`,
			"D_PROTO_LEN",
		);
	if (types[0] !== "int")
		throw new DTypeError(args[0]!.pos, `${fn}( ) argument #1 must be an integer, not a string`, "D_PROTO_ARG");
}
