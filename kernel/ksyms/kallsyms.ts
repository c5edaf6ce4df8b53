// Kernel symbols from /proc/kallsyms: address → `function+0xoff`, for kstack()
// and for messages. The file is ~120k–200k lines on a distribution kernel; it is
// parsed once into sorted typed arrays (addresses split in 32-bit halves, so no
// BigInt per line) and searched by bisection.
//
// Only text symbols (types t/T, and weak W/w that lie in the text range) are
// indexed: a kernel stack holds return addresses into code, and attributing one to
// a data symbol that happens to precede it would be wrong.
import { readFileSync } from "node:fs";
import { NotSupportedError } from "../sys/index.ts";

export interface KernelSymbol {
	name: string;
	/** Module the symbol belongs to (`[ext4]` in kallsyms), undefined for vmlinux. */
	module?: string;
	addr: bigint;
}

export interface SymbolHit extends KernelSymbol {
	/** Bytes from the symbol's start. */
	offset: bigint;
}

/** Farther than this past the nearest symbol, an address is not attributed to it. */
const MAX_OFFSET = 1n << 20n;

export class KernelSymbols {
	/** Number of indexed text symbols. */
	readonly size: number;
	/**
	 * True when the kernel hid every address (kptr_restrict, or not root): names are
	 * known but nothing can be symbolized.
	 */
	readonly restricted: boolean;
	private readonly hi: Uint32Array;
	private readonly lo: Uint32Array;
	private readonly names: string[];
	private readonly modules: (string | undefined)[];
	private byName: Map<string, number> | undefined;

	private constructor(
		hi: Uint32Array,
		lo: Uint32Array,
		names: string[],
		modules: (string | undefined)[],
		restricted: boolean,
	) {
		this.hi = hi;
		this.lo = lo;
		this.names = names;
		this.modules = modules;
		this.size = names.length;
		this.restricted = restricted;
	}

	/** Read and index /proc/kallsyms (or another file in its format). */
	static load(path = "/proc/kallsyms"): KernelSymbols {
		let text: string;
		try {
			text = readFileSync(path, "latin1");
		} catch (e) {
			throw new NotSupportedError(
				"kernel symbols",
				`${path} could not be read (${(e as NodeJS.ErrnoException).code ?? (e as Error).message}); kernel stacks will show raw addresses`,
			);
		}
		return KernelSymbols.parse(text);
	}

	/** Index text in kallsyms format: `ffffffff81000000 T _stext` or `... t name\t[module]`. */
	static parse(text: string): KernelSymbols {
		// First pass straight into growable typed arrays; sorted afterwards because
		// module symbols (and some sections) are not in address order.
		let cap = 1 << 16;
		let hi = new Uint32Array(cap);
		let lo = new Uint32Array(cap);
		const names: string[] = [];
		const modules: (string | undefined)[] = [];
		let n = 0;
		let nonZero = false;
		let pos = 0;
		const len = text.length;
		while (pos < len) {
			let eol = text.indexOf("\n", pos);
			if (eol < 0) eol = len;
			// "<16 hex> <type> <name>[\t[module]]"; 32-bit kernels print 8 hex digits.
			const sp1 = text.indexOf(" ", pos);
			if (sp1 > pos && sp1 < eol && sp1 + 3 < eol) {
				const type = text.charCodeAt(sp1 + 1);
				// t T w W
				if (type === 116 || type === 84 || type === 119 || type === 87) {
					const hexLen = sp1 - pos;
					const h = hexLen > 8 ? Number.parseInt(text.slice(pos, sp1 - 8), 16) : 0;
					const l = Number.parseInt(text.slice(Math.max(pos, sp1 - 8), sp1), 16);
					if (!Number.isNaN(h) && !Number.isNaN(l)) {
						// Search the line only: an unbounded indexOf would scan the rest of the file.
						let name = text.slice(sp1 + 3, eol);
						let module: string | undefined;
						const tab = name.indexOf("\t");
						if (tab >= 0) {
							const m = name.slice(tab + 1).trim();
							module = m.startsWith("[") && m.endsWith("]") ? m.slice(1, -1) : m;
							name = name.slice(0, tab);
						} else {
							name = name.trimEnd();
						}
						if (n === cap) {
							cap *= 2;
							const nh = new Uint32Array(cap);
							nh.set(hi);
							hi = nh;
							const nl = new Uint32Array(cap);
							nl.set(lo);
							lo = nl;
						}
						hi[n] = h;
						lo[n] = l;
						names.push(name);
						modules.push(module);
						if (h !== 0 || l !== 0) nonZero = true;
						n++;
					}
				}
			}
			pos = eol + 1;
		}
		// Sort by address; equal addresses keep file order (aliases: the first wins).
		const order = new Uint32Array(n);
		for (let i = 0; i < n; i++) order[i] = i;
		let sorted = true;
		for (let i = 1; i < n && sorted; i++) {
			if (hi[i] < hi[i - 1] || (hi[i] === hi[i - 1] && lo[i] < lo[i - 1])) sorted = false;
		}
		if (!sorted) {
			order.sort((a, b) => hi[a] - hi[b] || lo[a] - lo[b] || a - b);
		}
		const sh = new Uint32Array(n);
		const sl = new Uint32Array(n);
		const sn: string[] = new Array(n);
		const sm: (string | undefined)[] = new Array(n);
		for (let i = 0; i < n; i++) {
			const j = order[i];
			sh[i] = hi[j];
			sl[i] = lo[j];
			sn[i] = names[j];
			sm[i] = modules[j];
		}
		return new KernelSymbols(sh, sl, sn, sm, n > 0 && !nonZero);
	}

	/** The text symbol containing `addr`, or undefined (unknown, or addresses hidden). */
	lookup(addr: bigint): SymbolHit | undefined {
		if (this.restricted || this.size === 0) return undefined;
		const h = Number((addr >> 32n) & 0xffffffffn);
		const l = Number(addr & 0xffffffffn);
		// Last index whose address is <= addr.
		let lo = 0;
		let hi = this.size - 1;
		let found = -1;
		while (lo <= hi) {
			const mid = (lo + hi) >>> 1;
			const mh = this.hi[mid];
			if (mh < h || (mh === h && this.lo[mid] <= l)) {
				found = mid;
				lo = mid + 1;
			} else {
				hi = mid - 1;
			}
		}
		if (found < 0) return undefined;
		// Aliases share an address: report the first one listed.
		while (found > 0 && this.hi[found - 1] === this.hi[found] && this.lo[found - 1] === this.lo[found]) found--;
		const start = this.addrAt(found);
		const offset = addr - start;
		if (offset >= MAX_OFFSET) return undefined;
		return { name: this.names[found], module: this.modules[found], addr: start, offset };
	}

	/** `vfs_read+0x1a`, `ext4_file_read_iter+0x5 [ext4]`, or `0xffffffff81234567` when unknown. */
	symbolize(addr: bigint): string {
		const hit = this.lookup(addr);
		if (!hit) return `0x${addr.toString(16)}`;
		const mod = hit.module ? ` [${hit.module}]` : "";
		return `${hit.name}+0x${hit.offset.toString(16)}${mod}`;
	}

	/** The address of a text symbol by name (the first one when a name repeats). */
	address(name: string): bigint | undefined {
		if (!this.byName) {
			this.byName = new Map();
			for (let i = 0; i < this.size; i++) if (!this.byName.has(this.names[i])) this.byName.set(this.names[i], i);
		}
		const i = this.byName.get(name);
		return i === undefined || this.restricted ? undefined : this.addrAt(i);
	}

	/** Whether a text symbol of this name exists (works even when addresses are hidden). */
	has(name: string): boolean {
		if (!this.byName) this.address(name);
		return this.byName!.has(name);
	}

	/** Every indexed symbol, in address order. */
	*symbols(): IterableIterator<KernelSymbol> {
		for (let i = 0; i < this.size; i++) yield { name: this.names[i], module: this.modules[i], addr: this.addrAt(i) };
	}

	private addrAt(i: number): bigint {
		return (BigInt(this.hi[i]) << 32n) | BigInt(this.lo[i]);
	}
}

let cached: KernelSymbols | undefined;

/**
 * /proc/kallsyms, indexed once per process; `refresh` re-reads it (BPF programs and
 * trampolines enter kallsyms when loaded, so stacks through newer ones need it).
 * Throws NotSupportedError if unreadable.
 */
export function kernelSymbols(opts: { refresh?: boolean } = {}): KernelSymbols {
	if (opts.refresh || !cached) cached = KernelSymbols.load();
	return cached;
}
