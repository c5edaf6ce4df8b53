// Start the test fixtures and talk to them.
import { type ChildProcessWithoutNullStreams, spawn } from "node:child_process";
import { BIN_DIR, SIMPLE } from "../fixtures/fixtures.ts";
import { lineReader } from "./lines.ts";

// Paths come from the fixtures' own module; this helper adds a line-by-line
// handshake (`line()`) and a numeric exit code that the tracing tests use.
export { LIBSIMPLE, SIMPLE, THROWER } from "../fixtures/fixtures.ts";
export const DLOPENER = `${BIN_DIR}/dlopener`;

export interface Running {
	child: ChildProcessWithoutNullStreams;
	pid: number;
	/** Next stdout line. */
	line(): Promise<string>;
	/** Tell a `--wait` fixture to go; resolves with its `semaphore N` value. */
	go(): Promise<number>;
	/** Resolves with the exit code. */
	exited: Promise<number | null>;
	kill(): void;
}

/** Start `simple --wait ARGS` and wait until it says it is ready. */
export async function startSimple(args: string[], binary = SIMPLE): Promise<Running> {
	const child = spawn(binary, ["--wait", ...args], { stdio: ["pipe", "pipe", "pipe"] });
	const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
	const line = lineReader(child.stdout, "fixture", 20_000);
	const ready = await line();
	const m = /^ready (\d+)$/.exec(ready);
	if (!m) throw new Error(`fixture said '${ready}', not 'ready PID'`);
	return {
		child,
		pid: Number(m[1]),
		line,
		async go() {
			child.stdin.write("\n");
			const s = await line();
			const sm = /^semaphore (\d+)$/.exec(s);
			if (!sm) throw new Error(`fixture said '${s}', not 'semaphore N'`);
			return Number(sm[1]);
		},
		exited,
		kill() {
			if (child.exitCode === null) child.kill("SIGKILL");
		},
	};
}
