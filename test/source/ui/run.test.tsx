import assert from "node:assert/strict";
import { EventEmitter } from "node:events";
import { describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import pty from "node-pty";
import {
	ENTER_ALT_SCREEN,
	HIDE_CURSOR,
	LEAVE_ALT_SCREEN,
	MOUSE_OFF,
	MOUSE_ON,
	PASTE_OFF,
	PASTE_ON,
	runInteractive,
	SHOW_CURSOR,
} from "../../../source/ui/run.tsx";
import { enabling, FakeController, FakeTree, SAMPLE_TREE, sessionView, tick } from "./helpers.tsx";

class Out extends EventEmitter {
	isTTY = true;
	columns = 80;
	rows = 24;
	chunks: string[] = [];
	write = (s: string) => {
		this.chunks.push(s);
		return true;
	};
	get text() {
		return this.chunks.join("");
	}
}

class In extends EventEmitter {
	isTTY = true;
	rawModes: boolean[] = [];
	private queue: string[] = [];
	write(s: string) {
		this.queue.push(s);
		this.emit("readable");
	}
	read = () => this.queue.shift() ?? null;
	setEncoding() {}
	setRawMode(on: boolean) {
		this.rawModes.push(on);
	}
	resume() {}
	pause() {}
	ref() {}
	unref() {}
}

function start(extra: { exit?: (code: number) => void; cleanup?: () => void | Promise<void>; mouse?: boolean } = {}) {
	const out = new Out();
	const input = new In();
	const events: string[] = [];
	const controller = new FakeController(new FakeTree(SAMPLE_TREE), sessionView({ enablings: [enabling(1)] }));
	const run = runInteractive(controller, {
		stdout: out as unknown as NodeJS.WriteStream,
		stdin: input as unknown as NodeJS.ReadStream,
		stderr: new Out() as unknown as NodeJS.WriteStream,
		env: { LANG: "C" },
		argv: [],
		exit: extra.exit,
		mouse: extra.mouse,
		cleanup:
			extra.cleanup ??
			(() => {
				// What the terminal looked like when cleanup ran.
				events.push(`cleanup after restore: ${out.text.endsWith(SHOW_CURSOR + LEAVE_ALT_SCREEN)}`);
			}),
	});
	return { out, input, events, controller, run };
}

describe("runInteractive in process", () => {
	it("enters the alternate screen, and on q restores it before cleanup, once", async () => {
		const { out, input, events, controller, run } = start();
		await tick();
		assert.ok(out.text.startsWith(ENTER_ALT_SCREEN + HIDE_CURSOR));
		// LANG=C: the ASCII charset; colour: off (the fake terminal is a TTY, colour on).
		assert.match(out.text, /-\[ Probes \]-/);
		input.write("q");
		await run;
		assert.deepEqual(controller.calls, [["quit"]]);
		assert.deepEqual(events, ["cleanup after restore: true"]);
		assert.equal(out.text.split(LEAVE_ALT_SCREEN).length, 2, "restored exactly once");
		assert.equal(input.rawModes.at(-1), false);
	});

	it("turns mouse reporting and bracketed paste on, and off again with the screen; --no-mouse leaves the mouse alone", async () => {
		const a = start();
		await tick();
		assert.ok(a.out.text.startsWith(ENTER_ALT_SCREEN + HIDE_CURSOR + MOUSE_ON + PASTE_ON));
		a.input.write("q");
		await a.run;
		assert.ok(a.out.text.endsWith(MOUSE_OFF + PASTE_OFF + SHOW_CURSOR + LEAVE_ALT_SCREEN));
		const b = start({ mouse: false });
		await tick();
		assert.ok(!b.out.text.includes(MOUSE_ON));
		assert.ok(b.out.text.includes(PASTE_ON));
		b.input.write("q");
		await b.run;
		assert.ok(b.out.text.endsWith(MOUSE_OFF + PASTE_OFF + SHOW_CURSOR + LEAVE_ALT_SCREEN));
	});

	it("on SIGTERM restores, cleans up, and exits with 143", async () => {
		const codes: number[] = [];
		const { out, events } = start({ exit: (c) => codes.push(c) });
		await tick();
		const before = process.listenerCount("SIGTERM");
		process.emit("SIGTERM", "SIGTERM");
		await new Promise((resolve) => setTimeout(resolve, 20));
		assert.deepEqual(codes, [143]);
		assert.deepEqual(events, ["cleanup after restore: true"]);
		assert.equal(out.text.split(LEAVE_ALT_SCREEN).length, 2);
		assert.ok(process.listenerCount("SIGTERM") < before, "its signal handlers are removed");
	});

	it("rejects with a render error only after restoring and cleaning up", async () => {
		const { out, events, controller, run } = start();
		await tick();
		controller.view = () => {
			throw new Error("view exploded");
		};
		controller.update({});
		await assert.rejects(run, /view exploded/);
		assert.deepEqual(events, ["cleanup after restore: true"]);
		assert.ok(out.text.endsWith(SHOW_CURSOR + LEAVE_ALT_SCREEN));
	});

	it("waits for an asynchronous cleanup, and reports its failure", async () => {
		const { input, run } = start({
			cleanup: async () => {
				await tick();
				throw new Error("could not detach link 7");
			},
		});
		await tick();
		input.write("q");
		await assert.rejects(run, /could not detach link 7/);
	});
});

const CHILD = fileURLToPath(new URL("./fixtures/interactive-child.tsx", import.meta.url));

interface ChildRun {
	output: string;
	exitCode: number;
	signal: number;
}

/** Runs the fixture in a pseudo-terminal; `act` is called once the first frame is on screen. */
function inPty(mode: string, act: (p: pty.IPty) => void): Promise<ChildRun> {
	return new Promise((resolve, reject) => {
		const p = pty.spawn(process.execPath, ["--import", "tsx", CHILD, mode], {
			cols: 80,
			rows: 24,
			cwd: process.cwd(),
			// Ink prints nothing until exit when it believes it runs in CI.
			env: { ...process.env, CI: "false", LANG: "C.UTF-8", TERM: "xterm-256color" },
		});
		let output = "";
		let acted = false;
		const timer = setTimeout(() => {
			p.kill("SIGKILL");
			reject(new Error(`child did not finish; output so far: ${JSON.stringify(output)}`));
		}, 30_000);
		p.onData((d) => {
			output += d;
			if (!acted && output.includes("Help")) {
				acted = true;
				// Give Ink a moment to switch the terminal to raw mode after its first frame.
				setTimeout(() => act(p), 200);
			}
		});
		p.onExit(({ exitCode, signal }) => {
			clearTimeout(timer);
			resolve({ output, exitCode, signal: signal ?? 0 });
		});
	});
}

function assertRestoredThen(run: ChildRun, after: RegExp) {
	const enter = run.output.indexOf(ENTER_ALT_SCREEN);
	const leave = run.output.lastIndexOf(LEAVE_ALT_SCREEN);
	assert.ok(enter !== -1, "entered the alternate screen");
	assert.ok(leave > enter, "left the alternate screen");
	assert.ok(run.output.lastIndexOf(SHOW_CURSOR, leave) > enter, "showed the cursor again");
	// Mouse reporting and bracketed paste are off again too, on every way out.
	const mouseOn = run.output.lastIndexOf(MOUSE_ON);
	assert.ok(mouseOn > -1 && mouseOn < leave && run.output.lastIndexOf(MOUSE_OFF, leave) > mouseOn, "mouse off");
	assert.ok(run.output.lastIndexOf(PASTE_OFF, leave) > run.output.lastIndexOf(PASTE_ON), "bracketed paste off");
	const tail = run.output.slice(leave);
	assert.match(tail, after);
	assert.match(tail, /CLEANUP/);
	assert.ok(tail.indexOf("CLEANUP") < tail.search(after) || after.source === "CLEANUP");
	// Nothing was drawn after the restore.
	assert.doesNotMatch(tail, /Probes/);
}

describe("runInteractive in a pseudo-terminal", { concurrency: true }, () => {
	it("q leaves the alternate screen, then cleans up", async () => {
		const run = await inPty("normal", (p) => p.write("q"));
		assert.equal(run.exitCode, 0);
		assertRestoredThen(run, /EXITED/);
	});
	it("Ctrl-C does the same", async () => {
		const run = await inPty("normal", (p) => p.write("\x03"));
		assert.equal(run.exitCode, 0);
		assertRestoredThen(run, /EXITED/);
	});
	for (const [signal, code] of [
		["SIGTERM", 143],
		["SIGHUP", 129],
	] as const) {
		it(`${signal} restores the terminal, cleans up and exits with ${code}`, async () => {
			const run = await inPty("normal", (p) => p.kill(signal));
			assert.equal(run.exitCode, code);
			assertRestoredThen(run, /CLEANUP/);
		});
	}
	it("an uncaught exception is printed after the terminal is restored", async () => {
		const run = await inPty("throw", (p) => p.write("c"));
		assert.equal(run.exitCode, 1);
		assertRestoredThen(run, /ERROR: boom from a timer/);
	});
	it("so is an unhandled rejection", async () => {
		const run = await inPty("reject", (p) => p.write("c"));
		assert.equal(run.exitCode, 1);
		assertRestoredThen(run, /ERROR: rejected in the background/);
	});
});
