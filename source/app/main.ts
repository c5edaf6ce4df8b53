// dtop's modes: -h, -V, -l, and tracing (batch or the interactive UI). `-l`
// must start fast: it never imports Ink/React (the interactive UI is loaded
// with a dynamic import in a branch `-l` never takes).
import pkg from "../../package.json" with { type: "json" };
import { type Flags, HELP, parseFlags, UsageError } from "./flags.ts";

/** Runs dtop; resolves to the exit status. */
export async function main(argv: readonly string[]): Promise<number> {
	let flags: Flags;
	try {
		flags = parseFlags(argv);
	} catch (e) {
		if (e instanceof UsageError) {
			process.stderr.write(`dtop: ${e.message}\n`);
			return e.status;
		}
		throw e;
	}
	if (flags.help) {
		process.stdout.write(`${HELP.slice(1)}`);
		return 0;
	}
	if (flags.version) {
		process.stdout.write(`${pkg.version}\n`);
		return 0;
	}
	if (flags.list) {
		const { runList } = await import("./list.ts");
		return runList(flags);
	}
	// Tracing modes (-n clauses, -s, batch, the interactive UI, --demo); the UI
	// (Ink/React) stays behind a further dynamic import inside.
	const { runTrace } = await import("./trace.ts");
	return runTrace(flags);
}
