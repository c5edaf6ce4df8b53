// A fixed probe source for session tests: the fixture's USDT probes for one
// process, chosen system calls and tracepoints. (The real catalog is tested on
// its own; these tests prove tracing.)
import { syscallNumber, tracefs } from "../../kernel/tracefs/index.ts";
import { compileGlob } from "../../source/catalog/glob.ts";
import type { TraceProbe } from "../../source/providers/types.ts";
import { usdtProbesOf } from "../../source/session/catalog-source.ts";
import type { MatchRequest, ProbeSource } from "../../source/session/probes.ts";

export class ListProbes implements ProbeSource {
	readonly list: TraceProbe[] = [];
	private nextId = 1;
	add(p: Omit<TraceProbe, "id">): TraceProbe {
		const probe = { ...p, id: this.nextId++ };
		this.list.push(probe);
		return probe;
	}
	match(d: MatchRequest): TraceProbe[] {
		const f = (pat: string) => (pat === "" ? () => true : compileGlob(pat));
		const [pv, m, fn, n] = [f(d.provider), f(d.module), f(d.function), f(d.name.replaceAll("__", "-"))];
		return this.list.filter((p) => pv(p.provider) && m(p.module) && fn(p.function) && n(p.name));
	}
	byId(id: number): TraceProbe | undefined {
		return this.list.find((p) => p.id === id);
	}

	/** USDT probes of an object, as provider<pid>. */
	addUsdt(path: string, pid: number, moduleName: string): this {
		const probes = usdtProbesOf(path, pid, moduleName, () => this.nextId++);
		if (probes.length === 0) throw new Error(`${path} has no USDT probes`);
		this.list.push(...probes);
		return this;
	}

	addSyscall(name: string): this {
		const nr = syscallNumber(name);
		if (nr === undefined) throw new Error(`no syscall ${name}`);
		for (const ret of [false, true])
			this.add({
				provider: "syscall",
				module: "vmlinux",
				function: name,
				name: ret ? "return" : "entry",
				target: { kind: "syscall", nr, ret },
			});
		return this;
	}

	addTracepoint(group: string, event: string): this {
		const tf = tracefs();
		this.add({
			provider: "sdt",
			module: group,
			function: "",
			name: event,
			target: { kind: "tracepoint", group, event, id: tf.eventId(group, event) },
		});
		return this;
	}

	addProfile(hz: number): this {
		this.add({ provider: "profile", module: "", function: "", name: `profile-${hz}`, target: { kind: "profile", hz } });
		return this;
	}
}
