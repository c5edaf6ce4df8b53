// /proc readers for the live catalog: which processes exist, when each
// started (to tell a reused pid from the same process), and what it maps.

import { closeSync, openSync, readdirSync, readSync } from "node:fs";

export interface ProcStat {
	pid: number;
	/** The kernel's comm (at most 15 bytes; set by exec and prctl). */
	comm: string;
	ppid: number;
	state: string;
	/** Clock ticks after boot at which the process started: with pid, a unique process identity. */
	startTime: number;
}

let scratch = Buffer.allocUnsafe(64 * 1024);

/** Reads a /proc file with one open and as few reads as possible (no fstat: /proc sizes are 0). */
export function readProcFile(path: string): string | undefined {
	let fd: number;
	try {
		fd = openSync(path, "r");
	} catch {
		return undefined;
	}
	try {
		let len = 0;
		for (;;) {
			if (len === scratch.length) {
				const bigger = Buffer.allocUnsafe(scratch.length * 2);
				scratch.copy(bigger, 0, 0, len);
				scratch = bigger;
			}
			const n = readSync(fd, scratch, len, scratch.length - len, null);
			if (n === 0) break;
			len += n;
		}
		return scratch.toString("latin1", 0, len);
	} catch {
		// ESRCH: the process exited while we read.
		return undefined;
	} finally {
		closeSync(fd);
	}
}

/** Process ids (thread-group leaders) now in /proc. */
export function listPids(procRoot = "/proc"): number[] {
	const out: number[] = [];
	for (const name of readdirSync(procRoot)) {
		const c = name.charCodeAt(0);
		if (c >= 48 && c <= 57) out.push(Number(name));
	}
	return out;
}

/** Parses /proc/PID/stat text (comm may contain spaces and parentheses). */
export function parseStat(pid: number, text: string): ProcStat | undefined {
	const open = text.indexOf("(");
	const close = text.lastIndexOf(")");
	if (open < 0 || close < open) return undefined;
	const rest = text.slice(close + 2).split(" ");
	// Fields after comm: state(3) ppid(4) ... starttime(22) → rest[0], rest[1], rest[19].
	if (rest.length < 20) return undefined;
	return {
		pid,
		comm: text.slice(open + 1, close),
		state: rest[0],
		ppid: Number(rest[1]),
		startTime: Number(rest[19]),
	};
}

export function readStat(pid: number, procRoot = "/proc"): ProcStat | undefined {
	const text = readProcFile(`${procRoot}/${pid}/stat`);
	return text === undefined ? undefined : parseStat(pid, text);
}

/** An executable file mapping: the only kind that can hold probes. */
export interface ExecMapping {
	start: number;
	end: number;
	offset: number;
	path: string;
	deleted: boolean;
	/** Device number as stat(2) gives it (glibc's makedev of the maps' major:minor). */
	dev: number;
	inode: number;
}

/** makedev(3) as glibc encodes it, which is what Node's Stats.dev holds. */
export function makedev(major: number, minor: number): number {
	return (minor & 0xff) + (major & 0xfff) * 0x100 + (minor & ~0xff) * 0x1000 + Math.floor(major / 0x1000) * 2 ** 32;
}

/**
 * File-backed executable mappings of a process, one per object (its lowest
 * mapping), from /proc/PID/maps. Undefined if the process is gone or unreadable.
 */
export function readExecMappings(pid: number, procRoot = "/proc"): ExecMapping[] | undefined {
	const text = readProcFile(`${procRoot}/${pid}/maps`);
	if (text === undefined) return undefined;
	const out: ExecMapping[] = [];
	const seen = new Set<string>();
	let at = 0;
	while (at < text.length) {
		let nl = text.indexOf("\n", at);
		if (nl < 0) nl = text.length;
		// "start-end perms offset maj:min inode   path"; skip non-executable lines early.
		const line = text.slice(at, nl);
		at = nl + 1;
		const dash = line.indexOf("-");
		const sp1 = line.indexOf(" ", dash);
		if (dash < 0 || sp1 < 0 || line.charCodeAt(sp1 + 3) !== 120 /* x */) continue;
		const slash = line.indexOf("/", sp1);
		if (slash < 0) continue;
		const f = line
			.slice(sp1 + 1, slash)
			.trim()
			.split(/ +/);
		if (f.length < 4) continue;
		const inode = Number(f[3]);
		if (inode === 0) continue;
		const [maj, min] = f[2].split(":");
		const dev = makedev(Number.parseInt(maj, 16), Number.parseInt(min, 16));
		const key = `${dev}:${inode}`;
		if (seen.has(key)) continue;
		seen.add(key);
		let path = line.slice(slash);
		const deleted = path.endsWith(" (deleted)");
		if (deleted) path = path.slice(0, -10);
		out.push({
			start: Number.parseInt(line.slice(0, dash), 16),
			end: Number.parseInt(line.slice(dash + 1, sp1), 16),
			offset: Number.parseInt(f[1], 16),
			path,
			deleted,
			dev,
			inode,
		});
	}
	return out;
}

/**
 * A process's command line as one line: arguments joined by spaces (a server
 * that rewrote its title shows the title), undefined when it cannot be read
 * (exited) and "" for a kernel thread.
 */
export function readCmdline(pid: number, procRoot = "/proc"): string | undefined {
	const raw = readProcFile(`${procRoot}/${pid}/cmdline`);
	if (raw === undefined) return undefined;
	return Buffer.from(raw, "latin1")
		.toString("utf8")
		.split("\0")
		.filter((a) => a !== "")
		.join(" ");
}
