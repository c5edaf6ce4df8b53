// Aggregation keys of func() sym() mod() ufunc() usym() umod(): as DTrace's
// consumer does (dt_aggregate_sym & co), an address is replaced by its
// symbol's start (its module's, for mod/umod), so every address of one
// function is one key; uaddr() keys stay as they are. User keys keep their
// pid: one function in two processes is two keys, as in DTrace.
import type { Resolved } from "../output/model.ts";
import { symText } from "../output/symbols.ts";
import type { DecodedKeyPart } from "./aggregation.ts";
import type { AggState } from "./enabling.ts";
import type { RecordSymbols } from "./record-syms.ts";

interface Normal {
	key: string;
	parts: DecodedKeyPart[];
}

/** Per aggregation: raw key → its normal form (named once: a process that exits keeps its names). */
const cache = new WeakMap<AggState, Map<string, Normal>>();
const MAX_CACHED = 100_000;

function normalPart(p: DecodedKeyPart, syms: RecordSymbols): DecodedKeyPart {
	if (p.kind !== "sym") return p;
	const user = p.fn.startsWith("u");
	const at: Resolved | undefined = user ? syms.user(p.pid ?? 0, p.addr) : syms.kernel(p.addr);
	if (!at) return p;
	switch (p.fn) {
		case "uaddr":
			return { ...p, at };
		case "mod":
		case "umod":
			return { ...p, at: { module: at.module } };
		default:
			// The function's start: every address in it is the same key.
			if (at.symbol === undefined || at.offset === undefined) return { ...p, at };
			return { ...p, addr: p.addr - at.offset, at: { module: at.module, symbol: at.symbol, offset: 0n } };
	}
}

function partKey(p: DecodedKeyPart): string {
	switch (p.kind) {
		case "sym":
			return `y${p.pid ?? ""}:${symText({ kind: "sym", fn: p.fn, addr: p.addr, pid: p.pid, at: p.at })}`;
		case "int":
			return `i${p.value}`;
		case "string":
			return `s${JSON.stringify(p.value)}`;
		case "stack":
			return `k${p.user}:${p.pid}:${p.id}`;
		case "ustack":
			return `u${p.uid}:${p.depth}`;
	}
}

/** The row key and decoded parts of a raw key whose parts include sym() & co. */
export function normalKey(a: AggState, rawHex: string, decode: () => DecodedKeyPart[], syms: RecordSymbols): Normal {
	let m = cache.get(a);
	if (!m) cache.set(a, (m = new Map()));
	const have = m.get(rawHex);
	if (have) return have;
	const parts = decode().map((p) => normalPart(p, syms));
	const n = { key: parts.map(partKey).join("\u0000"), parts };
	if (m.size >= MAX_CACHED) m.clear();
	m.set(rawHex, n);
	return n;
}
