// The single executable's files that cannot run from memory (koffi's native
// module, the WASM files, the demo program) are written once into a private
// directory per build, `/var/cache/dtop/VERSION-ID`, and checked at every start
// before anything there is loaded: a file another user could have planted or
// changed would run as root. Accepted: directories and regular files owned by
// the user running dtop (root), writable by nobody else, of the sizes the build
// wrote; every directory above must be owned by root or that user and not
// writable by others (a sticky directory such as /tmp is allowed above).
import {
	closeSync,
	fsyncSync,
	lstatSync,
	mkdirSync,
	mkdtempSync,
	constants as O,
	openSync,
	realpathSync,
	renameSync,
	rmSync,
	type Stats,
	writeSync,
} from "node:fs";
import { homedir } from "node:os";
import { dirname, join, sep } from "node:path";

export class UnpackError extends Error {
	override readonly name = "UnpackError";
}

export interface PayloadFile {
	/** Relative path, `/`-separated. */
	path: string;
	size: number;
	/** 0o755 or 0o644. */
	mode: number;
	data(): Uint8Array;
}

type Stat = Stats;
const lstat = (path: string): Stats => lstatSync(path);

function describe(st: Stat): string {
	return st.isSymbolicLink() ? "a symbolic link" : st.isDirectory() ? "a directory" : "a file";
}

/** Why `path` (already lstat'ed) must not be trusted, or undefined when it may be. */
function untrusted(path: string, st: Stat, uid: number, kind: "dir" | "file" | "above"): string | undefined {
	const owners = kind === "above" ? [0, uid] : [uid];
	if (!owners.includes(st.uid)) return `${path} is owned by uid ${st.uid}, not by ${uid === 0 ? "root" : `uid ${uid}`}`;
	if (kind === "file" ? !st.isFile() : !st.isDirectory()) {
		return `${path} is ${describe(st)}, not ${kind === "file" ? "a regular file" : "a directory"}`;
	}
	const sticky = (st.mode & 0o1000) !== 0;
	if ((st.mode & 0o022) !== 0 && !(kind === "above" && sticky)) {
		return `${path} is writable by ${(st.mode & 0o002) !== 0 ? "every user" : `group ${st.gid}`}`;
	}
	return undefined;
}

function refuse(reason: string): never {
	throw new UnpackError(
		`refusing to use dtop's unpacked files: ${reason} (it may have been planted by another user; remove it and run dtop again)`,
	);
}

/** Checks every directory from / down to `dir` (which exists). */
function checkAbove(dir: string, uid: number): void {
	const real = realpathSync(dir);
	const parts = real.split(sep).filter(Boolean);
	let path = "/";
	for (let i = 0; i <= parts.length; i++) {
		if (i > 0) path = join(path, parts[i - 1]);
		const why = untrusted(path, lstat(path), uid, "above");
		if (why) refuse(why);
	}
}

/** Where the unpacked directories live: root's /var/cache/dtop, another user's ~/.cache/dtop. */
export function unpackBase(env: NodeJS.ProcessEnv = process.env, uid = process.geteuid?.() ?? 0): string {
	if (env.DTOP_UNPACK_DIR) return env.DTOP_UNPACK_DIR;
	if (uid === 0) return "/var/cache/dtop";
	return join(env.XDG_CACHE_HOME || join(homedir(), ".cache"), "dtop");
}

/** Checks the unpacked directory `dir` against the payload; returns a reason to refuse, or undefined. */
function checkUnpacked(dir: string, files: readonly PayloadFile[], uid: number): string | undefined {
	const top = lstat(dir);
	const why = untrusted(dir, top, uid, "dir");
	if (why) return why;
	const dirs = new Set<string>();
	for (const f of files) {
		const parts = f.path.split("/");
		for (let i = 1; i < parts.length; i++) dirs.add(parts.slice(0, i).join("/"));
	}
	for (const d of dirs) {
		const st = inspect(join(dir, d), uid, "dir");
		if (typeof st === "string") return st;
	}
	for (const f of files) {
		const p = join(dir, f.path);
		const st = inspect(p, uid, "file");
		if (typeof st === "string") return st;
		if (st.size !== f.size) return `${p} has ${st.size} bytes, not the ${f.size} this dtop wrote`;
	}
	return undefined;
}

/** What `p` is (lstat), or why it is refused: missing, or not as dtop made it. */
function inspect(p: string, uid: number, kind: "dir" | "file"): Stat | string {
	let st: Stat;
	try {
		st = lstat(p);
	} catch {
		return `${p} is missing`;
	}
	return untrusted(p, st, uid, kind) ?? st;
}

function writeAll(dir: string, files: readonly PayloadFile[]): void {
	for (const f of files) {
		const p = join(dir, f.path);
		mkdirSync(dirname(p), { recursive: true, mode: 0o755 });
		const fd = openSync(p, O.O_WRONLY | O.O_CREAT | O.O_EXCL | O.O_NOFOLLOW, f.mode);
		try {
			const data = f.data();
			let off = 0;
			while (off < data.length) off += writeSync(fd, data, off, data.length - off);
			fsyncSync(fd);
		} finally {
			closeSync(fd);
		}
	}
}

function isMissing(e: unknown): boolean {
	return (e as NodeJS.ErrnoException).code === "ENOENT";
}

/**
 * The directory `<base>/<id>` holding `files`: checked when it exists, else
 * written beside it and renamed into place whole (so a second dtop starting at
 * the same time sees either nothing or every file). Throws UnpackError.
 */
export function ensureUnpacked(
	base: string,
	id: string,
	files: readonly PayloadFile[],
	uid = process.geteuid?.() ?? 0,
): string {
	const dir = join(base, id);
	try {
		mkdirSync(base, { recursive: true, mode: 0o755 });
	} catch (e) {
		throw new UnpackError(`cannot create ${base} for dtop's unpacked files (${(e as Error).message})`);
	}
	checkAbove(base, uid);
	try {
		lstat(dir);
		const why = checkUnpacked(dir, files, uid);
		if (why) refuse(why);
		return dir;
	} catch (e) {
		if (!isMissing(e)) throw e;
	}
	const tmp = mkdtempSync(join(base, `.${id}.`));
	try {
		writeAll(tmp, files);
		renameSync(tmp, dir);
	} catch (e) {
		rmSync(tmp, { recursive: true, force: true });
		const code = (e as NodeJS.ErrnoException).code;
		// Another dtop renamed its copy into place first: use that one, checked.
		if (code !== "ENOTEMPTY" && code !== "EEXIST") {
			throw new UnpackError(`cannot write dtop's unpacked files to ${base} (${(e as Error).message})`);
		}
	}
	const why = checkUnpacked(dir, files, uid);
	if (why) refuse(why);
	return dir;
}
