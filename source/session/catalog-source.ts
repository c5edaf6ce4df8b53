// Adapts the catalog's probes to what the session traces, and adds "planned"
// probes: USDT probes of objects a -c command will map but has not mapped yet
// (uprobes are placed on the file, so they fire once the loader maps it).
import { readFileSync, realpathSync } from "node:fs";
import { basename } from "node:path";
import { ElfFile } from "../../kernel/elf/index.ts";
import { neededLibraries } from "../../kernel/elf/needed.ts";
import type { Catalog, Probe } from "../catalog/index.ts";
import { compileDescription, compileGlob, MIN_PERIOD_NS, parseProfileName } from "../catalog/index.ts";
import type { TraceProbe, TracepointField } from "../providers/types.ts";
import type { MatchRequest, ProbeSource } from "./probes.ts";

export class CatalogProbes implements ProbeSource {
	private planned: TraceProbe[] = [];
	private cache = new Map<number, TraceProbe[]>();
	/** Objects a -c command will map (its binary and libraries), for planned probes. */
	private plannedObjects: { pid: number; paths: string[] } | undefined;
	private plannedPid = new Map<string, TraceProbe>();

	constructor(
		readonly catalog: Catalog,
		readonly target?: number,
	) {}

	match(d: MatchRequest): TraceProbe[] {
		const out: TraceProbe[] = [];
		const names = new Set<string>();
		for (const p of this.catalog.match(d, { target: this.target })) {
			for (const t of this.adapt(p)) out.push(t);
			names.add(`${p.provider}:${p.module}:${p.function}:${p.name}`);
		}
		if (this.planned.length) {
			const test = compileDescription(d);
			for (const p of this.planned)
				if (test(p) && !names.has(`${p.provider}:${p.module}:${p.function}:${p.name}`)) out.push(p);
		}
		for (const p of this.plannedPidProbes(d))
			if (!names.has(`${p.provider}:${p.module}:${p.function}:${p.name}`)) out.push(p);
		return out;
	}

	/**
	 * `pid<PID>` probes in the objects a -c command will map: entry and return of
	 * the functions a description names, made on demand like the catalog's own.
	 */
	private plannedPidProbes(d: MatchRequest): TraceProbe[] {
		const plan = this.plannedObjects;
		if (!plan || d.provider !== `pid${plan.pid}`) return [];
		const any = (g: string) => (g === "" ? () => true : compileGlob(g));
		const [mod, fn, nm] = [any(d.module), any(d.function), any(d.name)];
		const whiches = (["entry", "return"] as const).filter((w) => nm(w));
		const out: TraceProbe[] = [];
		for (const path of plan.paths) {
			const module = basename(path);
			if (!mod(module) || whiches.length === 0) continue;
			let elf: ElfFile;
			try {
				elf = ElfFile.open(path, { lazy: true });
			} catch {
				continue;
			}
			for (const sym of elf.symbols().symbols) {
				if (!fn(sym.name)) continue;
				const offset = elf.addressToOffset(sym.address);
				if (offset === undefined) continue;
				for (const which of whiches) {
					const key = `${path}\0${sym.name}\0${which}`;
					let p = this.plannedPid.get(key);
					if (!p) {
						p = {
							id: this.plannedId(),
							provider: d.provider,
							module,
							function: sym.name,
							name: which,
							target: { kind: "uprobe", path, offset: BigInt(offset), ret: which === "return", pid: plan.pid },
						};
						this.plannedPid.set(key, p);
					}
					out.push(p);
				}
			}
		}
		return out;
	}

	/** Planned probes take ids from the catalog's sequence, so they print as DTrace's do (not as 2^30 + n). */
	private plannedId(): number {
		return this.catalog.reserveId();
	}

	byId(id: number): TraceProbe | undefined {
		const planned = this.planned.find((p) => p.id === id);
		if (planned) return planned;
		for (const p of this.plannedPid.values()) if (p.id === id) return p;
		const p = this.catalog.probe(id);
		// A probe of a process that has exited is gone from the catalog, but its
		// firings still print under its name (the last print of a -c run).
		return p ? this.adapt(p)[0] : this.cache.get(id)?.[0];
	}

	/** One TraceProbe per attach site (a USDT probe may sit in several places). */
	adapt(p: Probe): TraceProbe[] {
		const cached = this.cache.get(p.id);
		if (cached) return cached;
		const base = { id: p.id, provider: p.provider, module: p.module, function: p.function, name: p.name };
		let out: TraceProbe[];
		switch (p.kind) {
			case "syscall":
				out =
					p.nr === undefined
						? [
								{
									...base,
									target: {
										kind: "tracepoint",
										group: p.tracepoint.group,
										event: p.tracepoint.event,
										id: p.tracepoint.id,
									},
								},
							]
						: [{ ...base, target: { kind: "syscall", nr: p.nr, ret: p.which === "return" } }];
				break;
			case "tracepoint": {
				const tp = p.tracepoint;
				out = [
					{
						...base,
						target: {
							kind: "tracepoint",
							group: tp.group,
							event: tp.event,
							id: tp.id,
							fields: () => tracepointFields(() => tp.format()),
						},
					},
				];
				break;
			}
			case "usdt":
				out = p.sites.map((s) => ({
					...base,
					target: {
						kind: "uprobe" as const,
						path: s.openPath,
						offset: BigInt(s.pcOffset),
						ret: false,
						pid: p.pid,
						refCtrOffset: s.semaphoreOffset ? BigInt(s.semaphoreOffset) : undefined,
						usdtArgs: s.args,
					},
				}));
				break;
			case "uprobe":
				out = [
					{
						...base,
						target: {
							kind: "uprobe",
							path: p.openPath,
							offset: BigInt(p.offset),
							ret: p.which === "return",
							pid: p.pid,
						},
					},
				];
				break;
			case "profile":
				out = [
					{
						...base,
						target: p.perCpu
							? { kind: "profile", hz: p.frequencyHz ?? Math.max(1, Math.round(1e9 / p.periodNs)) }
							: { kind: "profile", periodNs: BigInt(p.periodNs) },
					},
				];
				break;
			case "dtrace":
				out = [{ ...base, target: { kind: "dtrace", which: p.which } }];
				break;
			case "fbt":
				out = [
					{
						...base,
						target: { kind: "fbt", func: p.symbol, ret: p.which === "return", unavailable: this.fbtReason() },
					},
				];
				break;
		}
		this.cache.set(p.id, out);
		return out;
	}

	whyNot(d: MatchRequest): string | undefined {
		const could = (field: string, value: string) => field === "" || compileGlob(field)(value);
		// profile-N and tick-N are made on demand: a name of that shape that
		// matched nothing has a rate dtop will not sample at.
		if (could(d.provider, "profile") && /^(profile|tick)-\d+[a-z]*$/.test(d.name) && !parseProfileName(d.name))
			return `'${d.name}' is not a rate dtop samples at: profile-N and tick-N take N from 1 to ${1e9 / MIN_PERIOD_NS} Hz, or a period of at least ${MIN_PERIOD_NS / 1000}us with a suffix (profile-997, tick-10ms, tick-1s)`;
		// fbt probes are named entry and return: only a description that could
		// name one is told fbt is unavailable.
		const reason = this.fbtReason();
		if (reason && could(d.provider, "fbt") && (could(d.name, "entry") || could(d.name, "return")))
			return `fbt probes are unavailable here (${reason})`;
		return undefined;
	}

	private fbtReason(): string | undefined {
		const f = this.catalog.providers().find((x) => x.name === "fbt");
		return f && !f.available ? f.reason : undefined;
	}

	/** The objects a target maps or will map: its binary's libraries, or its current mappings. */
	libraries(target: { pid: number; binary?: string }): string[] {
		if (target.binary) return sharedLibraries(target.binary);
		try {
			return [
				...new Set(
					readFileSync(`/proc/${target.pid}/maps`, "utf8")
						.split("\n")
						.map((l) => l.split(/\s+/)[5] ?? ""),
				),
			].filter((p) => p.startsWith("/"));
		} catch {
			return [];
		}
	}

	/**
	 * USDT probes of `binary` and the shared libraries it links against, for a
	 * process that has not mapped them yet (a -c command stopped before exec).
	 */
	planObjects(pid: number, binary: string): void {
		this.plannedObjects = { pid, paths: [] };
		for (const named of [binary, ...sharedLibraries(binary)]) {
			// The file itself, as the process's maps will name it (libstdc++.so.6 → libstdc++.so.6.0.30).
			let path = named;
			try {
				path = realpathSync(named);
			} catch {
				// keep the name
			}
			this.plannedObjects.paths.push(path);
			this.planned.push(...usdtProbesOf(path, pid, basename(path), () => this.plannedId()));
		}
	}
}

/**
 * The USDT probes of one object as `PROVIDER<PID>:MODULE:FUNCTION:NAME` trace
 * probes; sites of the same probe share an id (from `nextId`). Empty when the
 * file cannot be read.
 */
export function usdtProbesOf(path: string, pid: number, module: string, nextId: () => number): TraceProbe[] {
	let notes: ReturnType<ElfFile["usdtProbes"]>;
	try {
		notes = ElfFile.open(path, { lazy: true }).usdtProbes({ functions: true });
	} catch {
		return [];
	}
	const ids = new Map<string, number>();
	return notes.map((u) => {
		const name = u.name.replaceAll("__", "-");
		const fn = u.function ?? "";
		const key = `${u.provider}:${fn}:${name}`;
		let id = ids.get(key);
		if (id === undefined) ids.set(key, (id = nextId()));
		return {
			id,
			provider: `${u.provider}${pid}`,
			module,
			function: fn,
			name,
			target: {
				kind: "uprobe" as const,
				path,
				offset: BigInt(u.pcOffset),
				ret: false,
				pid,
				refCtrOffset: u.semaphoreOffset ? BigInt(u.semaphoreOffset) : undefined,
				usdtArgs: u.args,
			},
		};
	});
}

function tracepointFields(format: () => { fields: readonly unknown[] }): TracepointField[] {
	const f = format().fields as {
		name: string;
		offset: number;
		size: number;
		signed: boolean;
		common?: boolean;
		type?: string;
	}[];
	return f
		.filter((x) => !x.common && !x.name.startsWith("common_"))
		.map((x) => ({
			name: x.name,
			offset: x.offset,
			size: x.size,
			signed: x.signed,
			integer: !(x.type ?? "").includes("[") && !(x.type ?? "").includes("__data_loc"),
		}));
}

/** The shared libraries the dynamic loader would map for `binary` (ldd's answer, read from the ELF files). */
export function sharedLibraries(binary: string): string[] {
	try {
		return neededLibraries(binary);
	} catch {
		return []; // not ELF (a script): its libraries are seen when they are mapped
	}
}
