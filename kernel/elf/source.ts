// Where the bytes of an ELF file come from: a Buffer already in memory, or the
// file itself read piecemeal (the catalog scans hundreds of objects and needs a
// few kilobytes of each, not the whole of a 100 MB binary).
import { closeSync, fstatSync, openSync, readSync, type Stats } from "node:fs";
import { ElfError, hex } from "./errors.ts";

export interface ByteSource {
	/** Size of the whole file in bytes. */
	readonly size: number;
	/**
	 * Exactly `length` bytes at `offset`. Callers check `offset + length <= size`
	 * first; a source that cannot deliver (file shrank or changed) throws ElfError.
	 */
	read(offset: number, length: number): Buffer;
}

export class BufferSource implements ByteSource {
	readonly size: number;
	constructor(
		private readonly buf: Buffer,
		private readonly name: string,
	) {
		this.size = buf.length;
	}
	read(offset: number, length: number): Buffer {
		// subarray() would silently clamp; a short read must never pass as data.
		if (!(offset >= 0 && length >= 0 && offset + length <= this.size)) {
			throw new ElfError(
				this.name,
				`read of ${hex(length)} bytes at ${hex(offset)} is past the end of the file (${hex(this.size)} bytes)`,
			);
		}
		return this.buf.subarray(offset, offset + length);
	}
}

function describe(err: unknown): string {
	const e = err as NodeJS.ErrnoException;
	if (e?.code === "ENOENT") return "no such file";
	if (e?.code === "EACCES" || e?.code === "EPERM") return "permission denied";
	if (e?.code === "EISDIR") return "is a directory";
	return e?.code ?? String((err as Error)?.message ?? err);
}

/** Opens `path` for reading, turning errno into an ElfError naming the file. */
export function openFile(path: string): { fd: number; stat: Stats } {
	let fd: number;
	try {
		fd = openSync(path, "r");
	} catch (err) {
		throw new ElfError(path, `cannot open the file (${describe(err)})`);
	}
	try {
		const stat = fstatSync(fd);
		if (!stat.isFile()) throw new ElfError(path, "not a regular file");
		return { fd, stat };
	} catch (err) {
		closeSync(fd);
		throw err;
	}
}

/** Reads exactly `length` bytes at `offset` from an open fd. */
export function readExactly(fd: number, path: string, offset: number, length: number): Buffer {
	const buf = Buffer.allocUnsafe(length);
	let done = 0;
	while (done < length) {
		let n: number;
		try {
			n = readSync(fd, buf, done, length - done, offset + done);
		} catch (err) {
			throw new ElfError(path, `cannot read ${hex(length)} bytes at offset ${hex(offset)} (${describe(err)})`);
		}
		if (n === 0) throw new ElfError(path, `the file ended at ${hex(offset + done)} while reading; it may be changing`);
		done += n;
	}
	return buf;
}

/**
 * Reads the file on demand. A descriptor is kept only until the code that is
 * running now returns (closed in a microtask): one parse's reads share one
 * open, and none outlives it (a parse was an open, fstat and close per piece:
 * ~6 opens of every new program the catalog meets). Each read checks the file
 * is still the one first seen (device, inode, size, mtime): a binary replaced
 * by a package upgrade while we hold its headers must not be mixed with its
 * successor.
 */
/** Descriptors FileSources hold at most at once. */
const HELD_FILES = 8;

export class FileSource implements ByteSource {
	readonly size: number;
	private readonly identity: string;
	private fd: number | undefined;
	constructor(readonly path: string) {
		const { fd, stat } = openFile(path);
		this.size = stat.size;
		this.identity = FileSource.identityOf(stat);
		this.keep(fd);
	}

	private static identityOf(s: Stats): string {
		return `${s.dev}:${s.ino}:${s.size}:${s.mtimeMs}`;
	}

	/** Sources holding a descriptor now, oldest first (a scan of hundreds of objects holds a few at a time). */
	private static held: FileSource[] = [];

	/** Holds `fd` for the reads of the code running now. */
	private keep(fd: number): void {
		if (FileSource.held.length >= HELD_FILES) FileSource.held[0]?.release();
		this.fd = fd;
		FileSource.held.push(this);
		if (FileSource.held.length === 1) queueMicrotask(() => FileSource.releaseAll());
	}

	private release(): void {
		const i = FileSource.held.indexOf(this);
		if (i >= 0) FileSource.held.splice(i, 1);
		if (this.fd !== undefined) closeSync(this.fd);
		this.fd = undefined;
	}

	private static releaseAll(): void {
		for (const s of FileSource.held.slice()) s.release();
	}

	read(offset: number, length: number): Buffer {
		if (length === 0) return Buffer.alloc(0);
		let stat: Stats;
		if (this.fd === undefined) {
			const opened = openFile(this.path);
			this.keep(opened.fd);
			stat = opened.stat;
		} else stat = fstatSync(this.fd);
		// Rewritten in place (the same inode) since: its size or mtime tells.
		if (FileSource.identityOf(stat) !== this.identity) {
			throw new ElfError(this.path, "the file changed on disk while it was being read; try again");
		}
		return readExactly(this.fd as number, this.path, offset, length);
	}
}
