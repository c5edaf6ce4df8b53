#!/usr/bin/env node
// dtop's entry point: run main() and turn what escapes it into one line.
import { main } from "./app/main.ts";
import { runAtExit } from "./util/exit.ts";

function fatal(e: unknown): never {
	// Never a stack trace for the user; DTOP_DEBUG=1 shows it.
	const msg = e instanceof Error ? e.message : String(e);
	process.stderr.write(`dtop: ${msg.replace(/\s+/g, " ").trim()}\n`);
	if (process.env.DTOP_DEBUG) process.stderr.write(`${(e as Error)?.stack ?? ""}\n`);
	runAtExit();
	process.exit(1);
}

const invoked = process.argv[1] ?? "";
if (/(?:^|\/)(?:cli\.(?:ts|js|mjs)|dtop)$/.test(invoked)) {
	// Errors dtop catches (ENOENT from /proc races, ELF objects it cannot read)
	// are many and their stacks are never shown; capturing them cost ~5 ms of `-l`.
	if (!process.env.DTOP_DEBUG) Error.stackTraceLimit = 0;
	process.stdout.on("error", (e: NodeJS.ErrnoException) => {
		if (e.code === "EPIPE") {
			// The reader is gone (`| head`): clean up as on any quit, then leave.
			runAtExit();
			process.exit(0);
		}
		fatal(e);
	});
	main(process.argv.slice(2)).then(
		(code) => {
			process.exitCode = code;
		},
		(e) => fatal(e),
	);
}
