// Function symbols of one ELF object, sorted by address, for symbolization
// (address -> name+offset) and lookup by name.

export type SymbolBinding = "local" | "global" | "weak";

export interface ElfSymbol {
	name: string;
	/** Virtual address (st_value) in the object's own address space. */
	address: number;
	/** Size in bytes; 0 when the object does not say. */
	size: number;
	binding: SymbolBinding;
}

export interface Symbolized {
	name: string;
	/** Bytes past the symbol's start. */
	offset: number;
	symbol: ElfSymbol;
}

function rank(b: SymbolBinding): number {
	return b === "local" ? 1 : 0;
}

function underscores(name: string): number {
	let n = 0;
	while (n < name.length && name.charCodeAt(n) === 95) n++;
	return n;
}

/** Sort order: by address; at one address the preferred alias first. */
function compare(a: ElfSymbol, b: ElfSymbol): number {
	if (a.address !== b.address) return a.address - b.address;
	// A symbol that says how big it is beats one that does not; then exported
	// (global or weak) over local, then the fewest leading underscores: the
	// name a program calls (`getpid`, weak, over `__getpid`; `malloc` over
	// `__libc_malloc`), as gdb shows them.
	if (a.size > 0 !== b.size > 0) return a.size > 0 ? -1 : 1;
	const r = rank(a.binding) - rank(b.binding);
	if (r !== 0) return r;
	const u = underscores(a.name) - underscores(b.name);
	if (u !== 0) return u;
	if (a.name.length !== b.name.length) return a.name.length - b.name.length;
	return a.name < b.name ? -1 : a.name > b.name ? 1 : 0;
}

export class SymbolTable {
	/** Every function symbol, deduplicated (name and address), sorted by address. */
	readonly symbols: readonly ElfSymbol[];
	/** One symbol per distinct address (the preferred alias), for lookups. */
	private readonly primary: ElfSymbol[];
	private byNameMap: Map<string, ElfSymbol> | undefined;

	constructor(input: readonly ElfSymbol[]) {
		// Order by address with typed arrays: a native sort of the addresses, a
		// binary search for each symbol's rank, a counting sort by rank. A
		// comparator sort (or a Map keyed by address) of the 150,000 symbols of a
		// 100 MB binary costs hundreds of ms; this costs tens.
		const n = input.length;
		const sortedAddresses = new Float64Array(n);
		for (let i = 0; i < n; i++) sortedAddresses[i] = input[i].address;
		sortedAddresses.sort();
		let m = 0;
		for (let i = 0; i < n; i++) {
			if (m === 0 || sortedAddresses[m - 1] !== sortedAddresses[i]) sortedAddresses[m++] = sortedAddresses[i];
		}
		const distinct = sortedAddresses.subarray(0, m);
		const rank = new Uint32Array(n);
		const starts = new Uint32Array(m + 1);
		for (let i = 0; i < n; i++) {
			const a = input[i].address;
			let lo = 0;
			let hi = m - 1;
			while (lo < hi) {
				const mid = (lo + hi) >>> 1;
				if (distinct[mid] < a) lo = mid + 1;
				else hi = mid;
			}
			rank[i] = lo;
			starts[lo + 1]++;
		}
		for (let r = 0; r < m; r++) starts[r + 1] += starts[r];
		const fill = starts.slice(0, m);
		const order = new Uint32Array(n);
		for (let i = 0; i < n; i++) order[fill[rank[i]]++] = i;

		// Within one address: the preferred alias first, and repeats of a name
		// (a function is often in both .symtab and .dynsym) dropped.
		const list: ElfSymbol[] = [];
		const primary: ElfSymbol[] = [];
		for (let r = 0; r < m; r++) {
			const from = starts[r];
			const to = starts[r + 1];
			if (to - from === 1) {
				const s = input[order[from]];
				list.push(s);
				primary.push(s);
				continue;
			}
			if (to - from === 2) {
				// The common case: one function in both .symtab and .dynsym.
				const a = input[order[from]];
				const b = input[order[from + 1]];
				const ab = compare(a, b) <= 0;
				const first = ab ? a : b;
				list.push(first);
				if (a.name !== b.name) list.push(ab ? b : a);
				primary.push(first);
				continue;
			}
			const group: ElfSymbol[] = [];
			for (let k = from; k < to; k++) group.push(input[order[k]]);
			group.sort(compare);
			const first = list.length;
			for (const s of group) {
				let repeat = false;
				for (let j = first; j < list.length; j++) {
					if (list[j].name === s.name) {
						repeat = true;
						break;
					}
				}
				if (!repeat) list.push(s);
			}
			primary.push(group[0]);
		}
		this.symbols = list;
		this.primary = primary;
	}

	get size(): number {
		return this.symbols.length;
	}

	/**
	 * The function containing `address`: the nearest symbol at or below it,
	 * provided the address lies inside it. A symbol of size 0 (hand-written
	 * assembly often has no size) is taken to extend to the next symbol.
	 */
	symbolize(address: number): Symbolized | undefined {
		const p = this.primary;
		let lo = 0;
		let hi = p.length - 1;
		let found = -1;
		while (lo <= hi) {
			const mid = (lo + hi) >>> 1;
			if (p[mid].address <= address) {
				found = mid;
				lo = mid + 1;
			} else {
				hi = mid - 1;
			}
		}
		if (found < 0) return undefined;
		const s = p[found];
		const offset = address - s.address;
		if (s.size > 0 && offset >= s.size) return undefined;
		return { name: s.name, offset, symbol: s };
	}

	/** The symbol called `name` (the preferred one if several share the name). */
	byName(name: string): ElfSymbol | undefined {
		if (!this.byNameMap) {
			const m = new Map<string, ElfSymbol>();
			for (const s of this.symbols) if (!m.has(s.name)) m.set(s.name, s);
			this.byNameMap = m;
		}
		return this.byNameMap.get(name);
	}
}
