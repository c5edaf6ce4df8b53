// The SessionView of a tick: every enabling's rates, totals and aggregation
// rows, keys decoded (probe names, symbolized stacks) for the printers and UI.
import { hostname, release } from "node:os";

// Each is a uname(2): the release never changes, the host name is read again every 30 s.
const KERNEL = release();
let host = { name: hostname(), at: Date.now() };
function hostName(): string {
	if (Date.now() - host.at > 30_000) host = { name: hostname(), at: Date.now() };
	return host.name;
}

import { Stop } from "../../kernel/unwind/walk.ts";
import type { SymValue } from "../output/model.ts";
import { symText } from "../output/symbols.ts";
import { type DecodedKeyPart, displayValue, histogram } from "./aggregation.ts";
import type { AggState, EnablingState } from "./enabling.ts";
import type { SharedMaps } from "./maps.ts";
import type { ProbeSource } from "./probes.ts";
import type { Symbolizer } from "./symbolize.ts";
import { readVariables } from "./var-view.ts";
import type { AggRow, AggregationView, EnablingView, KeyPart, SessionView } from "./view.ts";

type StackPart = Extract<DecodedKeyPart, { kind: "stack" }>;
type UnwoundPart = Extract<DecodedKeyPart, { kind: "ustack" }>;

export class ViewBuilder {
	readonly #stackCache = new Map<string, string[]>();

	constructor(
		private readonly probes: ProbeSource,
		private readonly maps: SharedMaps,
		private readonly symbolizer: Symbolizer,
	) {}

	/** Forget the symbolized stacks (their names change with `-x nodemangle` turned on or off). */
	forgetStacks(): void {
		this.#stackCache.clear();
	}

	build(
		enablings: Iterable<EnablingState>,
		at: { now: number; started: number; tickMs: number; paused: boolean; variables?: boolean },
	): SessionView {
		const views: EnablingView[] = [];
		let rate = 0;
		let drops = 0;
		let evictions = 0;
		let truncated = 0;
		let faults = 0;
		for (const st of enablings) {
			const v = this.enabling(st, at.variables === true);
			views.push(v);
			rate += v.rate;
			drops += v.drops;
			evictions += v.evictions;
			truncated += v.truncated ?? 0;
			faults += v.faults ?? 0;
		}
		return {
			host: hostName(),
			kernel: KERNEL,
			cpus: this.maps.cpus,
			tickMs: at.tickMs,
			paused: at.paused,
			rate,
			drops,
			evictions,
			truncated,
			faults,
			enablings: views,
			uptimeMs: at.now - at.started,
		};
	}

	private enabling(st: EnablingState, withVariables: boolean): EnablingView {
		const aggregations: AggregationView[] = [];
		let ev = 0;
		for (const a of st.aggs.values()) {
			const rows: AggRow[] = [];
			for (const r of a.rows.values()) {
				rows.push({
					key: r.parts.map((p, i) => this.keyPart(a, i, p)),
					value: displayValue(a.fn, r.merged),
					histogram: histogram(a.fn, a.lq, r.merged),
					rate: r.counter.rate,
					last10s: r.counter.window(10_000),
					last60s: r.counter.window(60_000),
					total: r.counter.total,
					history: [...r.counter.history],
				});
			}
			ev += a.evictions;
			aggregations.push({ name: a.name, fn: a.fn, keys: a.keyText, args: a.argText, rows, evictions: a.evictions });
			if (a.lq?.ll) aggregations[aggregations.length - 1]!.llquantize = a.lq.ll;
			else if (a.lq && a.fn === "lquantize")
				aggregations[aggregations.length - 1]!.lquantize = {
					base: Number(a.lq.lo),
					step: Number(a.lq.step),
					levels: Number((a.lq.hi - a.lq.lo) / a.lq.step),
				};
		}
		const variables =
			withVariables && (st.vars.globals.size || st.vars.assocs.size) ? readVariables(st.vars) : undefined;
		return {
			id: st.id,
			d: st.d,
			label: st.label,
			probes: st.probeCount,
			rate: st.counter.rate,
			total: st.counter.total,
			history: [...st.counter.history],
			aggregations,
			drops: st.drops,
			truncated: st.truncated,
			faults: st.faults,
			dynDrops: st.vars.dynDrops,
			...(st.spec ? { speculation: st.spec.counts() } : {}),
			...(st.error ? { error: st.error } : {}),
			...(variables ? { variables } : {}),
			evictions: ev,
		};
	}

	private keyPart(a: AggState, i: number, p: DecodedKeyPart): KeyPart {
		const d = a.decode[i];
		if (p.kind === "stack") return { kind: "stack", frames: this.stackFrames(p), user: p.user };
		if (p.kind === "ustack") return { kind: "stack", frames: this.unwoundFrames(p), user: true };
		if (p.kind === "sym") {
			const sym: SymValue = { kind: "sym", fn: p.fn, addr: p.addr, pid: p.pid, at: p.at };
			return { kind: "string", value: symText(sym), sym };
		}
		if (d.k === "container" && p.kind === "int") {
			const t = this.maps.containersIfMade;
			return { kind: "string", value: t ? t.format(p.value) : `<container ${p.value}?>` };
		}
		if (d.k === "probe" && p.kind === "int") {
			const probe = this.probes.byId(Number(p.value));
			if (!probe) return { kind: "string", value: `probe#${p.value}` };
			// probefunc of a C++ or Rust function: demangled, unless -x nodemangle.
			const value = d.field === "function" ? this.symbolizer.functionName(probe.function) : probe[d.field];
			return { kind: "string", value };
		}
		return p;
	}

	/**
	 * A stack of the .eh_frame unwinder. Return addresses are looked up one byte
	 * back (in the call, not after it: a call at a function's very end must not
	 * name the next function). A walk that stopped before the end of the stack
	 * says why in a last line, `<stack stops: REASON>`; a stack whose record is
	 * missing says so and still counts its firings.
	 */
	private unwoundFrames(part: UnwoundPart): string[] {
		const ck = `u:${part.uid}:${part.depth}`;
		const have = this.#stackCache.get(ck);
		if (have) return have;
		const r = this.maps.unwinderIfMade?.reader.read(part.uid);
		if (!r) return ["<stack unavailable: no unwinder>"];
		if ("missing" in r)
			return [r.missing === "collision" ? "<stack lost: hash collision>" : "<stack lost: the stack map was full>"];
		const frames = r.frames.slice(0, part.depth).map((pc, i) => this.symbolizer.userFrame(r.pid, BigInt(pc), i > 0));
		if (r.stop !== Stop.END && r.stop !== Stop.TRUNCATED && r.frames.length <= part.depth)
			frames.push(`<stack stops: ${r.stopName}>`);
		this.#remember(ck, frames);
		return frames;
	}

	/**
	 * Keep a symbolized stack, unless a frame is still a bare address: code a JIT
	 * has not yet named in its perf map (HotSpot writes it on request or at exit),
	 * named on a later look.
	 */
	#remember(key: string, frames: string[]): void {
		if (frames.some((f) => /^0x[0-9a-f]+$/.test(f))) return;
		if (this.#stackCache.size > 10_000) this.#stackCache.clear();
		this.#stackCache.set(key, frames);
	}

	private stackFrames(part: StackPart): string[] {
		if (part.id < 0) return [`<stack unavailable: error ${-part.id}>`];
		const raw = this.maps.stacks.lookup(Buffer.from(Uint32Array.of(part.id).buffer));
		if (!raw) return ["<stack evicted>"];
		const ck = `${part.user ? part.pid : "k"}:${raw.toString("hex")}`;
		let frames = this.#stackCache.get(ck);
		if (!frames) {
			frames = [];
			for (let i = 0; i + 8 <= raw.length; i += 8) {
				const addr = raw.readBigUInt64LE(i);
				if (addr === 0n) break;
				frames.push(part.user ? this.symbolizer.userFrame(part.pid, addr) : this.symbolizer.kernelFrame(addr));
			}
			this.#remember(ck, frames);
		}
		return frames;
	}
}
