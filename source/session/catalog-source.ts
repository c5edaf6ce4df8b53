// Adapts the catalog's probes to what the session traces, and adds "planned"
// probes: USDT probes of objects a -c command will map but has not mapped yet
// (uprobes are placed on the file, so they fire once the loader maps it).
import { readFileSync, realpathSync } from "node:fs";
import { basename } from "node:path";
import { ElfFile } from "../../kernel/elf/index.ts";
import { neededLibraries } from "../../kernel/elf/needed.ts";
import type { Catalog, Probe } from "../catalog/index.ts";
import { compileDescription, compileGlob } from "../catalog/index.ts";
import { kindOf, PROBE_KINDS, type TraceProbe } from "../providers/index.ts";
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
		const out = kindOf(p).targets(p, this.catalog.env());
		this.cache.set(p.id, out);
		return out;
	}

	whyNot(d: MatchRequest): string | undefined {
		const env = this.catalog.env();
		for (const k of PROBE_KINDS) {
			const why = k.whyNot?.(d, env);
			if (why) return why;
		}
		return undefined;
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

/** The shared libraries the dynamic loader would map for `binary` (ldd's answer, read from the ELF files). */
export function sharedLibraries(binary: string): string[] {
	try {
		return neededLibraries(binary);
	} catch {
		return []; // not ELF (a script): its libraries are seen when they are mapped
	}
}
