// Paths of files the kernel's process events name by their dentries: a path
// within a file system (the dentry walk of kernel/codegen/proc-events.ts stops
// at the root of the file system), made a path dtop can open by the mounts of
// that file system (/proc/self/mountinfo: device, the mount's root within the
// file system, and where it is mounted). Read once, and again (at most once a
// second) when a device is not among them.
import { readFileSync } from "node:fs";
import { makedev } from "./procfs.ts";

interface Mount {
	root: string;
	point: string;
}

/** Octal escapes of mountinfo (`\040` is a space). */
const unescapeOctal = (s: string) =>
	s.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(Number.parseInt(o, 8)));

export function parseMountinfo(text: string): Map<number, Mount[]> {
	const out = new Map<number, Mount[]>();
	for (const line of text.split("\n")) {
		const f = line.split(" ");
		if (f.length < 5) continue;
		const [maj, min] = (f[2] ?? "").split(":").map(Number);
		if (maj === undefined || min === undefined || Number.isNaN(maj) || Number.isNaN(min)) continue;
		const dev = makedev(maj, min);
		let list = out.get(dev);
		if (!list) out.set(dev, (list = []));
		list.push({ root: unescapeOctal(f[3] ?? "/"), point: unescapeOctal(f[4] ?? "/") });
	}
	return out;
}

export class Mounts {
	#byDev = new Map<number, Mount[]>();
	#readAt = -Infinity;
	readonly #source: () => string;

	constructor(source = () => readFileSync("/proc/self/mountinfo", "latin1")) {
		this.#source = source;
	}

	/** A path under a mount point for the file at `fsPath` (from its file system's root) on device `dev`, or undefined. */
	resolve(dev: number, fsPath: string): string | undefined {
		let list = this.#byDev.get(dev);
		if (!list && Date.now() - this.#readAt > 1000) {
			this.#readAt = Date.now();
			try {
				this.#byDev = parseMountinfo(this.#source());
			} catch {
				return undefined;
			}
			list = this.#byDev.get(dev);
		}
		// The mount whose root holds the file; the shortest mount point of those (the main one, not a bind mount deep inside).
		let best: string | undefined;
		for (const m of list ?? []) {
			const root = m.root === "/" ? "" : m.root;
			if (root !== "" && fsPath !== root && !fsPath.startsWith(`${root}/`)) continue;
			const rest = fsPath.slice(root.length);
			const path = m.point === "/" ? rest : `${m.point}${rest}`;
			if (best === undefined || path.length < best.length) best = path;
		}
		return best;
	}
}
