// Reading a file the user named, with a bound: `-s /dev/zero` or a FIFO that
// never ends must be refused in bounded memory, not read until Node aborts.
import { closeSync, openSync, readSync } from "node:fs";

export class TooLargeError extends Error {
	constructor(
		readonly path: string,
		readonly limit: number,
	) {
		super(`'${path}' is larger than ${limit} bytes`);
		this.name = "TooLargeError";
	}
}

/** The file's text, or TooLargeError once more than `limit` bytes have been read. */
export function readLimited(path: string, limit: number): string {
	const fd = openSync(path, "r");
	try {
		const buf = Buffer.alloc(limit + 1);
		let n = 0;
		while (n <= limit) {
			const got = readSync(fd, buf, n, buf.length - n, null);
			if (got === 0) return buf.toString("utf8", 0, n);
			n += got;
		}
		throw new TooLargeError(path, limit);
	} finally {
		closeSync(fd);
	}
}
