// Turns stack addresses into `module`function+0xoff` frames, DTrace-style.
// User frames: the process's mappings (captured when the pid is first seen, so
// processes that exit before the next tick still symbolize) → file offset →
// ELF symbols; JIT frames from /tmp/perf-PID.map. Kernel frames: /proc/kallsyms.
import { readFileSync, statSync } from "node:fs";
import { basename } from "node:path";
import { ElfFile } from "../../kernel/elf/index.ts";
import { type Mapping, readMaps, resolveAddress } from "../../kernel/elf/procmaps.ts";
import { KernelSymbols } from "../../kernel/ksyms/index.ts";

interface PerfMapEntry {
	start: number;
	end: number;
	name: string;
}

const MAPS_TTL_MS = 2000;

export class Symbolizer {
	private maps = new Map<number, { maps: Mapping[]; at: number; dead: boolean }>();
	private elves = new Map<string, ElfFile | null>();
	private perfMaps = new Map<number, { entries: PerfMapEntry[] | null; size: number; checked: number }>();
	private kernel: KernelSymbols | undefined | null;

	/** Remember a process's mappings now (call when a pid first appears). */
	capture(pid: number, force = false): void {
		const have = this.maps.get(pid);
		if (!force && have && (have.dead || Date.now() - have.at < MAPS_TTL_MS)) return;
		try {
			this.maps.set(pid, { maps: readMaps(pid), at: Date.now(), dead: false });
		} catch {
			// The process is gone: keep what we had, if anything.
			if (have) have.dead = true;
		}
	}

	/** A process exited: keep its mappings a while (its stacks may still be read), then forget them. */
	exited(pid: number): void {
		const have = this.maps.get(pid);
		if (have) {
			have.dead = true;
			have.at = Date.now();
		}
	}

	/** Forget processes that exited more than `ms` ago (bounded memory over many short-lived pids). */
	prune(ms = 60_000): void {
		const edge = Date.now() - ms;
		for (const [pid, m] of this.maps) {
			if (m.dead && m.at < edge) {
				this.maps.delete(pid);
				this.perfMaps.delete(pid);
			}
		}
		if (this.elves.size > 2000) this.elves.clear();
	}

	private elf(path: string, pid: number): ElfFile | null {
		const key = path;
		let e = this.elves.get(key);
		if (e === undefined) {
			try {
				e = ElfFile.open(path.startsWith("/") ? `/proc/${pid}/root${path}` : path, { lazy: true });
			} catch {
				try {
					e = ElfFile.open(path, { lazy: true });
				} catch {
					e = null;
				}
			}
			this.elves.set(key, e);
		}
		return e;
	}

	/**
	 * The JIT's symbol map (/tmp/perf-PID.map, written by e.g. node
	 * --perf-basic-prof). It grows as code is compiled: read it again when it
	 * changed size, at most once a second.
	 */
	private perfMap(pid: number): PerfMapEntry[] | null {
		const file = `/tmp/perf-${pid}.map`;
		const have = this.perfMaps.get(pid);
		const now = Date.now();
		if (have && now - have.checked < 1000) return have.entries;
		let size: number;
		try {
			size = statSync(file).size;
		} catch {
			this.perfMaps.set(pid, { entries: have?.entries ?? null, size: -1, checked: now });
			return have?.entries ?? null;
		}
		if (have && have.size === size) {
			have.checked = now;
			return have.entries;
		}
		const entries: PerfMapEntry[] = [];
		try {
			for (const line of readFileSync(file, "utf8").split("\n")) {
				const f = /^([0-9a-fA-F]+) ([0-9a-fA-F]+) (.*)$/.exec(line);
				if (!f) continue;
				const start = Number.parseInt(f[1], 16);
				entries.push({ start, end: start + Number.parseInt(f[2], 16), name: f[3] });
			}
		} catch {
			// unreadable now: keep what we had
		}
		entries.sort((a, b) => a.start - b.start);
		this.perfMaps.set(pid, { entries, size, checked: now });
		return entries;
	}

	userFrame(pid: number, addr: bigint): string {
		const a = Number(addr);
		this.capture(pid);
		let entry = this.maps.get(pid);
		let r = entry ? resolveAddress(entry.maps, a) : undefined;
		// Mappings read before an exec (a -c target captured while still the
		// shell) or before a dlopen do not cover the address: read them again.
		if (entry && !entry.dead && !r?.path?.startsWith("/") && Date.now() - entry.at > 50) {
			this.capture(pid, true);
			entry = this.maps.get(pid);
			r = entry ? resolveAddress(entry.maps, a) : undefined;
		}
		const hex = `0x${addr.toString(16)}`;
		if (entry) {
			if (r?.path?.startsWith("/")) {
				const mod = basename(r.path);
				const elf = this.elf(r.path, pid);
				if (elf) {
					const vaddr = elf.offsetToAddress(r.fileOffset);
					const s = vaddr !== undefined ? elf.symbolize(vaddr) : undefined;
					if (s) return `${mod}\`${s.name}+0x${s.offset.toString(16)}`;
				}
				return `${mod}\`${hex}`;
			}
		}
		const pm = this.perfMap(pid);
		if (pm) {
			let lo = 0;
			let hi = pm.length - 1;
			while (lo <= hi) {
				const mid = (lo + hi) >> 1;
				if (pm[mid].end <= a) lo = mid + 1;
				else if (pm[mid].start > a) hi = mid - 1;
				else return `[jit]\`${pm[mid].name}+0x${(a - pm[mid].start).toString(16)}`;
			}
		}
		return hex;
	}

	kernelFrame(addr: bigint): string {
		if (this.kernel === undefined) {
			try {
				this.kernel = KernelSymbols.load();
			} catch {
				this.kernel = null;
			}
		}
		if (this.kernel) {
			const h = this.kernel.lookup(addr);
			if (h) return `vmlinux\`${this.kernel.symbolize(addr)}`;
		}
		return `0x${addr.toString(16)}`;
	}
}
