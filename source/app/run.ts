// Runs dtop's command line and turns what escapes main() into one line; the
// entry points (source/cli.ts, and the single executable's source/package/sea-main.ts) call it.
import { runAtExit } from "../util/exit.ts";
import { main } from "./main.ts";

function fatal(e: unknown): never {
	// Never a stack trace for the user; DTOP_DEBUG=1 shows it.
	const msg = e instanceof Error ? e.message : String(e);
	process.stderr.write(`dtop: ${msg.replace(/\s+/g, " ").trim()}\n`);
	if (process.env.DTOP_DEBUG) process.stderr.write(`${(e as Error)?.stack ?? ""}\n`);
	runAtExit();
	process.exit(1);
}

export function runCli(argv: readonly string[]): void {
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
	main(argv).then(
		(code) => {
			process.exitCode = code;
		},
		(e) => fatal(e),
	);
}
