// Unwind tables built once per file and kept: the key is the file's identity
// (device, inode, size, modification time), so a library mapped by a hundred
// processes is parsed once, and a file replaced on disk (a package upgrade) is
// parsed again rather than mixed with its predecessor. Building is lazy: only
// objects some traced process maps get a table, when it is first seen.
import { statSync } from "node:fs";
import { PF_X, PT_LOAD } from "../elf/constants.ts";
import { ElfFile } from "../elf/elf.ts";
import { ElfError } from "../elf/errors.ts";
import { buildTable, type UnwindTable } from "./table.ts";

export interface LoadSegment {
	offset: number;
	vaddr: number;
	filesz: number;
	executable: boolean;
}

export interface ObjectTables {
	/** The identity the cache files it under. */
	key: string;
	path: string;
	/** undefined when the file could not be read as an ELF object (`error` says why). */
	table: UnwindTable | undefined;
	error: string | undefined;
	/** PT_LOAD segments: how a mapping's file offset becomes an ELF address. */
	segments: LoadSegment[];
}

/** `dev:ino:size:mtime` of a file, or undefined when it cannot be stat'ed. */
export function fileIdentity(path: string): string | undefined {
	try {
		const s = statSync(path);
		return `${s.dev}:${s.ino}:${s.size}:${s.mtimeMs}`;
	} catch {
		return undefined;
	}
}

export class TableCache {
	private readonly entries = new Map<string, ObjectTables>();
	/** Tables built (not found in the cache), for tests and statistics. */
	builds = 0;

	/**
	 * The tables of the file at `path` (opened as given: callers pass
	 * /proc/PID/map_files/… or /proc/PID/root/… so deleted files and other mount
	 * namespaces work). Never throws for bad files: the entry's `error` says why.
	 */
	get(path: string, identity = fileIdentity(path)): ObjectTables {
		const key = identity ?? `unreadable:${path}`;
		const have = this.entries.get(key);
		if (have) return have;
		let entry: ObjectTables;
		if (identity === undefined) {
			entry = { key, path, table: undefined, error: `${path}: cannot be opened`, segments: [] };
		} else {
			try {
				const elf = ElfFile.open(path, { lazy: true });
				const segments = elf.programHeaders
					.filter((p) => p.type === PT_LOAD)
					.map((p) => ({ offset: p.offset, vaddr: p.vaddr, filesz: p.filesz, executable: (p.flags & PF_X) !== 0 }));
				this.builds++;
				entry = { key, path, table: buildTable(elf), error: undefined, segments };
			} catch (e) {
				if (!(e instanceof ElfError)) throw e;
				entry = { key, path, table: undefined, error: e.message, segments: [] };
			}
		}
		this.entries.set(key, entry);
		return entry;
	}

	get size(): number {
		return this.entries.size;
	}

	/** Whether get(path) would answer without building (the file is cached or cannot be opened). */
	has(path: string, identity = fileIdentity(path)): boolean {
		return identity === undefined || this.entries.has(identity);
	}

	/** Forget every table (the next get() builds again). */
	clear(): void {
		this.entries.clear();
	}
}

/** The cache shared by every unwinder of this process. */
export const sharedTableCache = new TableCache();

/**
 * The bias of a mapping: ELF address = runtime address - bias. `offset` is the
 * mapping's file offset; the PT_LOAD segment containing it fixes the relation.
 */
export function mappingBias(segments: readonly LoadSegment[], start: number, offset: number): number | undefined {
	const seg =
		segments.find((s) => s.executable && offset >= s.offset && offset < s.offset + s.filesz) ??
		segments.find((s) => offset >= s.offset && offset < s.offset + Math.max(s.filesz, 1));
	if (!seg) return undefined;
	return start - offset - (seg.vaddr - seg.offset);
}
