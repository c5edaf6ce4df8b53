// A child's output, line by line: `line()` resolves with the next line (read
// already or still to come), or rejects when none comes within `ms`.
import { createInterface } from "node:readline";
import type { Readable } from "node:stream";

export function lineReader(input: Readable, what: string, ms: number): () => Promise<string> {
	const lines: string[] = [];
	const waiters: ((l: string) => void)[] = [];
	createInterface({ input }).on("line", (l) => {
		const w = waiters.shift();
		if (w) w(l);
		else lines.push(l);
	});
	return () =>
		new Promise<string>((resolve, reject) => {
			const l = lines.shift();
			if (l !== undefined) return resolve(l);
			const t = setTimeout(() => reject(new Error(`${what} said nothing for ${ms / 1000} s`)), ms);
			waiters.push((x) => {
				clearTimeout(t);
				resolve(x);
			});
		});
}
