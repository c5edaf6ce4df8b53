// Separate debug files of a stripped object, where gdb looks for them:
//   1. by build-id: /usr/lib/debug/.build-id/xx/yyyy….debug (Debian's -dbg and
//      -dbgsym packages, libc6-dbg among them);
//   2. by `.gnu_debuglink` (a file name and a CRC32 of the debug file): beside
//      the object, in a `.debug/` directory beside it, and under /usr/lib/debug/
//      followed by the object's directory.
// A candidate is used only if it is the object's: same build-id where both
// have one, the CRC32 the link records for a debuglink, the same machine, and a
// symbol table. Anything else is refused, with the reason (a stale debug file
// from an older package would name every frame wrongly).
import { closeSync, existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { SHT_SYMTAB } from "./constants.ts";
import { ElfFile } from "./elf.ts";
import { ElfError } from "./errors.ts";
import { openFile, readExactly } from "./source.ts";

export const DEFAULT_DEBUG_DIR = "/usr/lib/debug";

export interface DebugSearch {
	/**
	 * Where the object's file system is: "" for ours, `/proc/PID/root` for a
	 * process in another mount namespace. Debug files are looked up there first,
	 * then (build-id only, which cannot match the wrong file) in ours.
	 */
	root?: string;
	/** Debug directories (default /usr/lib/debug), as seen from `root`. */
	debugDirs?: readonly string[];
}

export interface DebugFile {
	path: string;
	how: "build-id" | "debuglink";
	elf: ElfFile;
}

export interface Refusal {
	path: string;
	reason: string;
}

export interface DebugLookup {
	found: DebugFile | undefined;
	/** Candidates that exist but are not this object's (or are unreadable), and why. */
	refused: Refusal[];
}

/** CRC32 (the .gnu_debuglink polynomial, zlib's) of a whole file, read in 1 MiB pieces. */
export function fileCrc32(path: string): number {
	const { fd, stat } = openFile(path);
	try {
		let crc = 0;
		const piece = 1 << 20;
		for (let at = 0; at < stat.size; at += piece) {
			crc = process
				.getBuiltinModule("node:zlib")
				.crc32(readExactly(fd, path, at, Math.min(piece, stat.size - at)), crc);
		}
		return crc >>> 0;
	} finally {
		closeSync(fd);
	}
}

/** Paths gdb tries for the build-id `id` (lowercase hex) under `dir`. */
export function buildIdPath(dir: string, id: string): string {
	return join(dir, ".build-id", id.slice(0, 2), `${id.slice(2)}.debug`);
}

/** Paths gdb tries for a debuglink `file` of the object at `objectPath`. */
export function debugLinkPaths(objectPath: string, file: string, debugDirs: readonly string[]): string[] {
	const dir = dirname(objectPath);
	return [join(dir, file), join(dir, ".debug", file), ...debugDirs.map((d) => join(d, dir, file))];
}

/**
 * Finds the separate debug file of `elf` (opened from `objectPath`, a path as
 * seen inside `search.root`). Never throws for a bad candidate: it is refused.
 */
export function findDebugFile(elf: ElfFile, objectPath: string, search: DebugSearch = {}): DebugLookup {
	const root = search.root ?? "";
	const dirs = search.debugDirs ?? [DEFAULT_DEBUG_DIR];
	const refused: Refusal[] = [];
	let buildId: string | undefined;
	let link: { file: string; crc: number } | undefined;
	try {
		buildId = elf.buildId();
	} catch (err) {
		refused.push({ path: elf.name, reason: `its build-id note is unreadable (${(err as Error).message})` });
	}
	try {
		link = elf.debugLink();
	} catch (err) {
		refused.push({ path: elf.name, reason: `its .gnu_debuglink is unreadable (${(err as Error).message})` });
	}

	const tried = new Set<string>();
	const attempt = (path: string, how: DebugFile["how"]): DebugFile | undefined => {
		if (tried.has(path) || !existsSync(path)) return undefined;
		tried.add(path);
		// The object itself, reached through a debuglink naming its own file.
		if (path === elf.name) return undefined;
		const reason = check(path, how);
		if (typeof reason === "string") {
			refused.push({ path, reason });
			return undefined;
		}
		return { path, how, elf: reason };
	};
	const check = (path: string, how: DebugFile["how"]): ElfFile | string => {
		let debug: ElfFile;
		try {
			debug = ElfFile.open(path, { lazy: true });
		} catch (err) {
			return err instanceof ElfError ? err.problem : String(err);
		}
		try {
			if (debug.header.machine !== elf.header.machine) {
				return `it is for ${debug.header.machineName}, the object is ${elf.header.machineName}`;
			}
			const id = debug.buildId();
			if (buildId !== undefined && id !== undefined && id !== buildId) {
				return `its build-id ${id} is not the object's (${buildId}); it belongs to another build`;
			}
			if (how === "build-id" && id === undefined) return "it has no build-id";
			if (how === "debuglink" && link) {
				const crc = fileCrc32(path);
				if (crc !== link.crc) {
					return `its CRC32 is ${hex8(crc)}, the object's .gnu_debuglink expects ${hex8(link.crc)}; it belongs to another build`;
				}
			}
			if (!debug.sections.some((s) => s.type === SHT_SYMTAB)) return "it has no symbol table (.symtab)";
			return debug;
		} catch (err) {
			return err instanceof ElfError ? err.problem : String(err);
		}
	};

	const roots = root === "" ? [""] : [root, ""];
	if (buildId && buildId.length >= 4) {
		for (const r of roots) {
			for (const d of dirs) {
				const found = attempt(r + buildIdPath(d, buildId), "build-id");
				if (found) return { found, refused };
			}
		}
	}
	// A debuglink names a file, not a build: only the object's own file system.
	if (link && link.file !== "" && !link.file.includes("/")) {
		for (const p of debugLinkPaths(objectPath, link.file, dirs)) {
			const found = attempt(root + p, "debuglink");
			if (found) return { found, refused };
		}
	}
	return { found: undefined, refused };
}

function hex8(n: number): string {
	return `0x${n.toString(16).padStart(8, "0")}`;
}
