// Ink renders each frame as a whole string (debug mode) into a FrameStream;
// the stream writes only the lines that changed, each at an absolute cursor
// position. No newline is ever written, so the terminal never scrolls, whatever
// the frame's height, and a steady-state tick costs only its changed lines.
// (Ink 6.8's own incremental renderer left stale rows behind on real terminals.)
import { EventEmitter } from "node:events";

const CLEAR_TO_EOL = "\x1b[K";
const RESET = "\x1b[0m";

export class FrameStream extends EventEmitter {
	private previous: string[] = [];
	private pending: string | undefined;
	private scheduled = false;
	private clear = false;
	private readonly onResize = () => {
		// Terminals reflow or truncate what was on screen when resized: start clean.
		this.previous = [];
		this.clear = true;
		this.emit("resize");
	};
	/** Bytes written to the terminal so far (for tests and benchmarks). */
	bytes = 0;
	closed = false;

	constructor(private readonly out: NodeJS.WriteStream) {
		super();
		out.on("resize", this.onResize);
	}

	// A terminal can report a size of 0×0 (a pty nobody sized: `script` with a pipe on
	// its stdin, some serial consoles). Ink then asks terminal-size, which opens
	// /dev/tty on every frame and never closes it: one descriptor leaked per frame.
	get columns(): number {
		return this.out.columns || 80;
	}
	get rows(): number {
		return this.out.rows || 24;
	}
	get isTTY(): boolean {
		return true;
	}

	/** Ink calls this with a whole frame. */
	write(frame: string): boolean {
		this.pending = frame;
		if (!this.scheduled) {
			this.scheduled = true;
			setImmediate(() => this.flush());
		}
		return true;
	}

	/** Write the latest frame now (only the lines that differ from what is on screen). */
	flush(): void {
		this.scheduled = false;
		const frame = this.pending;
		this.pending = undefined;
		if (frame === undefined || this.closed) return;
		const lines = frame.split("\n");
		if (lines.at(-1) === "") lines.pop();
		const rows = this.rows;
		let out = this.clear ? "\x1b[H\x1b[2J" : "";
		this.clear = false;
		const n = Math.min(Math.max(lines.length, this.previous.length), rows);
		for (let i = 0; i < n; i++) {
			const line = lines[i] ?? "";
			if (line === this.previous[i]) continue;
			out += `\x1b[${i + 1};1H${RESET}${line}${RESET}${CLEAR_TO_EOL}`;
		}
		this.previous = lines.slice(0, rows);
		if (out) {
			this.bytes += Buffer.byteLength(out);
			this.out.write(out);
		}
	}

	/** Forget what is on screen (the next frame is drawn whole). */
	invalidate(): void {
		this.previous = [];
	}

	close(): void {
		this.closed = true;
		this.out.off("resize", this.onResize);
	}
}
