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
 * Reads the file on demand, opening it for each read so that no descriptor
 * outlives a call. Each open checks the file is still the one first seen
 * (device, inode, size, mtime): a binary replaced by a package upgrade while
 * we hold its headers must not be mixed with its successor.
 */
export class FileSource implements ByteSource {
	readonly size: number;
	private readonly identity: string;
	constructor(readonly path: string) {
		const { fd, stat } = openFile(path);
		closeSync(fd);
		this.size = stat.size;
		this.identity = FileSource.identityOf(stat);
	}

	private static identityOf(s: Stats): string {
		return `${s.dev}:${s.ino}:${s.size}:${s.mtimeMs}`;
	}

	read(offset: number, length: number): Buffer {
		if (length === 0) return Buffer.alloc(0);
		const { fd, stat } = openFile(this.path);
		try {
			if (FileSource.identityOf(stat) !== this.identity) {
				throw new ElfError(this.path, "the file changed on disk while it was being read; try again");
			}
			return readExactly(fd, this.path, offset, length);
		} finally {
			closeSync(fd);
		}
	}
}
