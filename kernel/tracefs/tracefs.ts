// tracefs: where the kernel lists its tracepoints, their ids and record layouts.
// Mounted at /sys/kernel/tracing since Linux 4.1; older systems (and some
// current ones) only have it under debugfs at /sys/kernel/debug/tracing. Many
// machines (these included) do not mount it at boot, so dtop mounts it when it
// runs as root.

import { existsSync, readdirSync, readFileSync } from "node:fs";
import { NotSupportedError } from "../sys/index.ts";
import { type EventFormat, parseFormat } from "./format.ts";

export interface TraceEvent {
	group: string;
	name: string;
}

const CANDIDATES = ["/sys/kernel/tracing", "/sys/kernel/debug/tracing"];
const MOUNT_POINT = "/sys/kernel/tracing";

function usable(root: string): boolean {
	return existsSync(`${root}/events`);
}

/** tracefs mount points listed in /proc/mounts (someone may have mounted it elsewhere). */
function mountedElsewhere(): string[] {
	let text: string;
	try {
		text = readFileSync("/proc/mounts", "utf8");
	} catch {
		return [];
	}
	const out: string[] = [];
	for (const line of text.split("\n")) {
		const f = line.split(" ");
		if (f[2] === "tracefs") out.push(f[1].replace(/\\040/g, " "));
	}
	return out;
}

/**
 * Finds tracefs; when it is not mounted and `mount` is true (the default),
 * mounts it at /sys/kernel/tracing. Throws NotSupportedError with the reason
 * and what to do.
 */
export function findTracefs(opts: { mount?: boolean } = {}): string {
	for (const c of CANDIDATES) if (usable(c)) return c;
	for (const c of mountedElsewhere()) if (usable(c)) return c;
	if (opts.mount === false) {
		throw new NotSupportedError("tracefs", `it is not mounted; run 'mount -t tracefs nodev ${MOUNT_POINT}' as root.`);
	}
	if (process.getuid?.() !== 0) {
		throw new NotSupportedError(
			"tracefs",
			`it is not mounted and only root can mount it; run dtop as root or 'sudo mount -t tracefs nodev ${MOUNT_POINT}'.`,
		);
	}
	try {
		// mount(2) is not reachable without koffi here (only kernel/sys may use
		// it), and this happens once per boot: the mount(8) binary is fine.
		process
			.getBuiltinModule("node:child_process")
			.execFileSync("mount", ["-t", "tracefs", "nodev", MOUNT_POINT], { stdio: ["ignore", "ignore", "pipe"] });
	} catch (e) {
		const why = (e as { stderr?: Buffer }).stderr?.toString().trim() || (e as Error).message;
		throw new NotSupportedError(
			"tracefs",
			`it is not mounted and 'mount -t tracefs nodev ${MOUNT_POINT}' failed (${why}); the kernel may lack CONFIG_TRACING.`,
		);
	}
	if (!usable(MOUNT_POINT)) {
		throw new NotSupportedError("tracefs", `it was mounted at ${MOUNT_POINT} but has no events directory.`);
	}
	return MOUNT_POINT;
}

/** Valid group and event names (also keeps a description from escaping the events directory). */
const NAME = /^[A-Za-z0-9_.-]+$/;

/** One tracefs mount: events, ids and formats, each read once and cached. */
export class Tracefs {
	readonly root: string;
	#events: TraceEvent[] | undefined;
	#byGroup: Map<string, Set<string>> | undefined;
	#formats = new Map<string, EventFormat>();

	constructor(root: string) {
		this.root = root;
	}

	/** Every event the kernel offers, read from `available_events` (one file, not ~2,300 directories). */
	events(): TraceEvent[] {
		if (this.#events) return this.#events;
		let keys: string[];
		try {
			// "group:name" lines → "group\0name", so a plain sort orders by group, then name.
			keys = readFileSync(`${this.root}/available_events`, "latin1")
				.split("\n")
				.filter((l) => l.length > 0)
				.map((l) => l.replace(":", "\0"));
		} catch {
			keys = this.#eventsFromDirectories().map((e) => `${e.group}\0${e.name}`);
		}
		keys.sort();
		const list = keys.map((k) => {
			const i = k.indexOf("\0");
			return { group: k.slice(0, i), name: k.slice(i + 1) };
		});
		this.#events = list;
		return list;
	}

	#eventsFromDirectories(): TraceEvent[] {
		const out: TraceEvent[] = [];
		for (const g of readdirSync(`${this.root}/events`, { withFileTypes: true })) {
			if (!g.isDirectory()) continue;
			for (const e of readdirSync(`${this.root}/events/${g.name}`, { withFileTypes: true })) {
				if (e.isDirectory()) out.push({ group: g.name, name: e.name });
			}
		}
		return out;
	}

	#index(): Map<string, Set<string>> {
		if (this.#byGroup) return this.#byGroup;
		const m = new Map<string, Set<string>>();
		for (const e of this.events()) {
			let s = m.get(e.group);
			if (!s) m.set(e.group, (s = new Set()));
			s.add(e.name);
		}
		this.#byGroup = m;
		return m;
	}

	groups(): string[] {
		return [...this.#index().keys()];
	}

	/** Events of one group, e.g. `syscalls`. */
	eventsOf(group: string): string[] {
		return [...(this.#index().get(group) ?? [])];
	}

	has(group: string, name: string): boolean {
		return this.#index().get(group)?.has(name) ?? existsSync(this.#dir(group, name));
	}

	#dir(group: string, name: string): string {
		if (!NAME.test(group) || !NAME.test(name)) throw new Error(`'${group}:${name}' is not a tracepoint name.`);
		return `${this.root}/events/${group}/${name}`;
	}

	/** The event's id, the `config` of a PERF_TYPE_TRACEPOINT perf event. */
	eventId(group: string, name: string): number {
		const cached = this.#formats.get(`${group}:${name}`);
		if (cached) return cached.id;
		const dir = this.#dir(group, name);
		let text: string;
		try {
			text = readFileSync(`${dir}/id`, "latin1");
		} catch {
			throw new Error(`the kernel has no tracepoint ${group}:${name}.`);
		}
		return Number(text.trim());
	}

	/** The record layout of an event (read on first use, then cached). */
	format(group: string, name: string): EventFormat {
		const key = `${group}:${name}`;
		let f = this.#formats.get(key);
		if (f) return f;
		const dir = this.#dir(group, name);
		let text: string;
		try {
			text = readFileSync(`${dir}/format`, "latin1");
		} catch {
			throw new Error(`the kernel has no tracepoint ${group}:${name}.`);
		}
		f = parseFormat(text);
		this.#formats.set(key, f);
		return f;
	}
}

let shared: Tracefs | undefined;

/** The process-wide Tracefs, found (and mounted if need be) on first use. */
export function tracefs(opts: { mount?: boolean } = {}): Tracefs {
	if (!shared) shared = new Tracefs(findTracefs(opts));
	return shared;
}
