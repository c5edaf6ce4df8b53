// The shared libraries the dynamic loader would map for an executable, found
// the way glibc's ld.so finds them (what `ldd` prints, without running the
// loader): breadth first over DT_NEEDED, each name searched in the needing
// object's DT_RPATH (when it has no DT_RUNPATH) and the executable's,
// LD_LIBRARY_PATH, DT_RUNPATH, /etc/ld.so.cache, then the default directories;
// $ORIGIN expands to the needing object's directory. A candidate must be an ELF
// object of the executable's machine and class (ld.so skips the others).
import { closeSync, openSync, readFileSync, readSync, realpathSync } from "node:fs";
import { basename, dirname, resolve } from "node:path";
import { EM_AARCH64, EM_X86_64, PT_INTERP } from "./constants.ts";
import { ElfFile } from "./elf.ts";

const CACHE_MAGIC = "glibc-ld.so.cache1.1";
const CACHE_HEADER = 48;
const CACHE_ENTRY = 24;
/** FLAG_ELF_LIBC6 with the 64-bit library flag of each machine (glibc's ldconfig.h). */
const CACHE_FLAGS: Record<number, number> = { [EM_X86_64]: 0x0303, [EM_AARCH64]: 0x0a03 };
const DEFAULT_DIRS: Record<number, string[]> = {
	[EM_X86_64]: ["/lib/x86_64-linux-gnu", "/usr/lib/x86_64-linux-gnu", "/lib64", "/usr/lib64", "/lib", "/usr/lib"],
	[EM_AARCH64]: ["/lib/aarch64-linux-gnu", "/usr/lib/aarch64-linux-gnu", "/lib64", "/usr/lib64", "/lib", "/usr/lib"],
};

/** /etc/ld.so.cache's names → paths for one machine (first entry wins, as ld.so's lookup does), or empty. */
export function readLdCache(machine: number, path = "/etc/ld.so.cache"): Map<string, string> {
	const out = new Map<string, string>();
	let buf: Buffer;
	try {
		buf = readFileSync(path);
	} catch {
		return out;
	}
	// An old-format cache may come first; the new one starts at its magic.
	const base = buf.indexOf(CACHE_MAGIC, 0, "latin1");
	if (base < 0 || buf.length < base + CACHE_HEADER) return out;
	const n = buf.readUInt32LE(base + 20);
	const want = CACHE_FLAGS[machine];
	const cstr = (at: number) => {
		if (at >= buf.length) return undefined;
		const end = buf.indexOf(0, at);
		return end < 0 ? undefined : buf.toString("utf8", at, end);
	};
	for (let i = 0; i < n; i++) {
		const e = base + CACHE_HEADER + i * CACHE_ENTRY;
		if (e + CACHE_ENTRY > buf.length) break;
		if (buf.readInt32LE(e) !== want) continue;
		const key = cstr(buf.readUInt32LE(e + 4));
		const value = cstr(buf.readUInt32LE(e + 8));
		if (key && value && !out.has(key)) out.set(key, value);
	}
	return out;
}

function splitPath(list: string | undefined, origin: string): string[] {
	if (!list) return [];
	return list
		.split(/[:;]/)
		.filter((d) => d !== "")
		.map((d) => d.replace(/\$(ORIGIN|\{ORIGIN\})/g, origin));
}

/** The libraries (absolute paths, loader order) `binary` needs; a name not found is left out, as ldd's "not found". */
export function neededLibraries(named: string, env: NodeJS.ProcessEnv = process.env): string[] {
	const binary = resolve(named);
	const exe = ElfFile.open(binary, { lazy: true });
	const machine = exe.header.machine;
	let cache: Map<string, string> | undefined;
	const exeInfo = exe.loaderInfo();
	const exeRpath = exeInfo.runpath === undefined ? splitPath(exeInfo.rpath, dirname(binary)) : [];
	const ldPath = splitPath(env.LD_LIBRARY_PATH, dirname(binary));
	const found = new Map<string, string>(); // needed name → path
	const seen = new Set<string>([realOr(binary)]);
	const out: string[] = [];
	const queue: { file: string; info: ReturnType<ElfFile["loaderInfo"]> }[] = [{ file: binary, info: exeInfo }];
	// The loader itself (PT_INTERP), listed last as ldd does; a DT_NEEDED naming it (libc's) is it.
	const interp = interpreter(exe);
	if (interp) {
		found.set(basename(interp), interp);
		seen.add(realOr(interp));
	}
	const fits = (path: string): boolean => elfOf(path, machine);
	while (queue.length) {
		const { file, info } = queue.shift()!;
		const origin = dirname(file);
		for (const name of info.needed) {
			if (found.has(name)) continue;
			let path: string | undefined;
			if (name.includes("/")) path = fits(name) ? name : undefined;
			else {
				const own = info.runpath === undefined ? splitPath(info.rpath, origin) : [];
				const dirs = [...own, ...exeRpath, ...ldPath, ...splitPath(info.runpath, origin)];
				path = dirs.map((d) => `${d}/${name}`).find(fits);
				if (!path) {
					cache ??= readLdCache(machine);
					const c = cache.get(name);
					if (c && fits(c)) path = c;
				}
				path ??= (DEFAULT_DIRS[machine] ?? ["/lib", "/usr/lib"]).map((d) => `${d}/${name}`).find(fits);
			}
			if (!path) continue;
			found.set(name, path);
			const real = realOr(path);
			if (seen.has(real)) continue;
			seen.add(real);
			out.push(path);
			try {
				queue.push({ file: path, info: ElfFile.open(path, { lazy: true }).loaderInfo() });
			} catch {
				// unreadable: its own needs stay unknown, as they would be for ldd
			}
		}
	}
	if (interp) out.push(interp);
	return out;
}

/** Is `path` a 64-bit little-endian ELF object for `machine`? (its first 20 bytes, as ld.so checks them) */
function elfOf(path: string, machine: number): boolean {
	let fd: number | undefined;
	try {
		fd = openSync(path, "r");
		const h = Buffer.alloc(20);
		if (readSync(fd, h, 0, 20, 0) < 20) return false;
		return h.readUInt32BE(0) === 0x7f454c46 && h[4] === 2 && h[5] === 1 && h.readUInt16LE(18) === machine;
	} catch {
		return false;
	} finally {
		if (fd !== undefined) closeSync(fd);
	}
}

function interpreter(exe: ElfFile): string | undefined {
	const ph = exe.programHeaders.find((p) => p.type === PT_INTERP);
	if (!ph || ph.filesz > 4096 || ph.offset + ph.filesz > exe.size) return undefined;
	const name = exe.readRange(ph.offset, ph.filesz).toString("latin1").replace(/\0.*$/s, "");
	return name.startsWith("/") ? name : undefined;
}

function realOr(path: string): string {
	try {
		return realpathSync(path);
	} catch {
		return path;
	}
}
