// dtop's own process is left out of what it traces: system-wide enablings
// (`syscall::read:entry { @[execname] = count(); }`, a probe attached to libc's
// inode) would otherwise count the tracer's own reads and mallocs, and dtop
// would top its own breakdowns. Each clause's predicate gets `pid != DTOP`
// in front (in BPF, one compare per firing); `--trace-self` keeps dtop in.
// dtrace:::BEGIN/END/ERROR run in dtop itself: the session compiles them
// from the clause as written.
import { binary, builtin, int, type Program } from "../d/ast.ts";

/** The program with every clause's predicate guarded by `pid != self` (a new program; the argument is untouched). */
export function excludeProcess(program: Program, self: number): Program {
	return {
		...program,
		clauses: program.clauses.map((c) => {
			const notSelf = binary("!=", builtin("pid"), int(self));
			return { ...c, predicate: c.predicate ? binary("&&", notSelf, c.predicate) : notSelf };
		}),
	};
}
