// Where a mode writes: the process's stdout and stderr, or a test's buffers.
export interface Io {
	out(s: string): void;
	err(s: string): void;
	/** Bytes for stdout (per-event output; the buffer is reused after the call). Without it, out(). */
	outBytes?(b: Buffer): void;
}

export const stdio: Io = {
	out: (s) => process.stdout.write(s),
	err: (s) => process.stderr.write(s),
	// A copy: a write that cannot finish now keeps its buffer.
	outBytes: (b) => process.stdout.write(Buffer.from(b)),
};
