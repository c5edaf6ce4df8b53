// /proc/PID/maps: which file is mapped where in a process. With it a runtime
// address becomes (file, file offset) — then an ELF virtual address and a
// symbol — and a file offset (a USDT semaphore, a probe) becomes the address
// it has in that process.
import { readFileSync } from "node:fs";
import { ProcessGoneError } from "./errors.ts";

export interface Mapping {
	start: number;
	/** One past the last byte. */
	end: number;
	/** As the kernel prints them, e.g. "r-xp". */
	perms: string;
	readable: boolean;
	writable: boolean;
	executable: boolean;
	shared: boolean;
	/** File offset mapped at `start`. */
	offset: number;
	devMajor: number;
	devMinor: number;
	inode: number;
	/** The file, a pseudo name like "[heap]" or "[vdso]", or "" for anonymous memory. */
	path: string;
	/** The file was deleted (or replaced) after being mapped; `path` has " (deleted)" removed. */
	deleted: boolean;
}

const LINE = /^([0-9a-f]+)-([0-9a-f]+) ([r-][w-][x-][ps]) ([0-9a-f]+) ([0-9a-f]+):([0-9a-f]+) (\d+)(?: +(.*))?$/;
const DELETED = " (deleted)";

/**
 * One line of /proc/PID/maps, or undefined for a line that does not parse or
 * whose addresses do not fit a number exactly (only x86_64's [vsyscall] page,
 * at 0xffffffffff600000, which no user file backs).
 */
export function parseMapsLine(line: string): Mapping | undefined {
	const m = LINE.exec(line);
	if (!m) return undefined;
	const start = Number.parseInt(m[1], 16);
	const end = Number.parseInt(m[2], 16);
	if (!Number.isSafeInteger(end) || end < start) return undefined;
	let path = m[8] ?? "";
	let deleted = false;
	if (path.endsWith(DELETED) && path.startsWith("/")) {
		deleted = true;
		path = path.slice(0, -DELETED.length);
	}
	const perms = m[3];
	return {
		start,
		end,
		perms,
		readable: perms[0] === "r",
		writable: perms[1] === "w",
		executable: perms[2] === "x",
		shared: perms[3] === "s",
		offset: Number.parseInt(m[4], 16),
		devMajor: Number.parseInt(m[5], 16),
		devMinor: Number.parseInt(m[6], 16),
		inode: Number(m[7]),
		path,
		deleted,
	};
}

/** All mappings of a maps file's text, in the kernel's (ascending address) order. */
export function parseMaps(text: string): Mapping[] {
	const out: Mapping[] = [];
	for (const line of text.split("\n")) {
		if (line === "") continue;
		const m = parseMapsLine(line);
		if (m) out.push(m);
	}
	return out;
}

/**
 * The mappings of a live process. A process that does not exist, or exits
 * while its maps are read (ENOENT, ESRCH), gives ProcessGoneError; a kernel
 * thread or a zombie has no mappings and gives [].
 */
export function readMaps(pid: number): Mapping[] {
	if (!Number.isInteger(pid) || pid <= 0) throw new ProcessGoneError(pid, "not a process id");
	let text: string;
	try {
		text = readFileSync(`/proc/${pid}/maps`, "latin1");
	} catch (err) {
		const code = (err as NodeJS.ErrnoException).code;
		if (code === "ENOENT" || code === "ESRCH") throw new ProcessGoneError(pid);
		if (code === "EACCES" || code === "EPERM") {
			throw new Error(`cannot read /proc/${pid}/maps: permission denied; run dtop as root.`);
		}
		throw new Error(`cannot read /proc/${pid}/maps (${code ?? String(err)}).`);
	}
	return parseMaps(text);
}

/** The mapping containing runtime address `address` (binary search; `maps` sorted by start). */
export function findMapping(maps: readonly Mapping[], address: number): Mapping | undefined {
	let lo = 0;
	let hi = maps.length - 1;
	while (lo <= hi) {
		const mid = (lo + hi) >>> 1;
		const m = maps[mid];
		if (address < m.start) hi = mid - 1;
		else if (address >= m.end) lo = mid + 1;
		else return m;
	}
	return undefined;
}

/** File offset of `address`, which must lie inside `mapping`. */
export function fileOffsetOf(mapping: Mapping, address: number): number {
	return address - mapping.start + mapping.offset;
}

/** Runtime address of `fileOffset` in `mapping`, or undefined if the mapping does not cover it. */
export function runtimeAddress(mapping: Mapping, fileOffset: number): number | undefined {
	if (fileOffset < mapping.offset || fileOffset - mapping.offset >= mapping.end - mapping.start) return undefined;
	return mapping.start + (fileOffset - mapping.offset);
}

export interface ResolvedAddress {
	mapping: Mapping;
	/** The mapped file ("" for anonymous memory; pseudo names like "[vdso]" as they are). */
	path: string;
	fileOffset: number;
}

/** Runtime address -> (file, file offset), the first step of symbolizing a user stack frame. */
export function resolveAddress(maps: readonly Mapping[], address: number): ResolvedAddress | undefined {
	const mapping = findMapping(maps, address);
	if (!mapping) return undefined;
	return { mapping, path: mapping.path, fileOffset: fileOffsetOf(mapping, address) };
}

/** Mappings of one file: by path, or by device and inode when given (immune to renames and mount namespaces). */
export function mappingsOf(
	maps: readonly Mapping[],
	file: string | { devMajor: number; devMinor: number; inode: number },
): Mapping[] {
	if (typeof file === "string") return maps.filter((m) => m.path === file);
	return maps.filter((m) => m.inode === file.inode && m.devMajor === file.devMajor && m.devMinor === file.devMinor);
}

/**
 * Runtime address of `fileOffset` of `file` in a process, e.g. where a USDT
 * semaphore lives, or undefined when no mapping of the file covers it.
 */
export function runtimeAddressOf(
	maps: readonly Mapping[],
	file: string | { devMajor: number; devMinor: number; inode: number },
	fileOffset: number,
): number | undefined {
	for (const m of mappingsOf(maps, file)) {
		const a = runtimeAddress(m, fileOffset);
		if (a !== undefined) return a;
	}
	return undefined;
}

/**
 * A path through which the mapped file can be opened from here, even when it
 * was deleted or lives in another mount namespace (a container): the
 * process's own view under /proc/PID/root, or /proc/PID/map_files for deleted
 * files (those links need root).
 */
export function openablePath(pid: number, mapping: Mapping): string {
	if (mapping.deleted) return `/proc/${pid}/map_files/${mapping.start.toString(16)}-${mapping.end.toString(16)}`;
	return `/proc/${pid}/root${mapping.path}`;
}
