// The probe tree per container (the `C` key): the USDT programs' process rows
// regrouped under one row per container, the container as the `container` D
// variable names it (catalog/cgroups.ts: a docker or podman short id, a
// systemd service, a login session), from each process's /proc/PID/cgroup
// (read once per process, and only while the view is on). Static providers
// and the pid provider stay machine-wide at the top.

import { containerName } from "../catalog/cgroups.ts";
import { readProcFile } from "../catalog/procfs.ts";

/** The row of a container: `[web.service]`; the root cgroup's processes are `[host]`. */
export const containerRow = (name: string) => `[${name === "" ? "host" : name}]`;

export class ContainerOf {
	readonly #byPid = new Map<number, string>();

	/** The container of process `pid` ("" for the root cgroup; undefined if it is gone). */
	of(pid: number): string | undefined {
		const known = this.#byPid.get(pid);
		if (known !== undefined) return known;
		const text = readProcFile(`/proc/${pid}/cgroup`);
		if (text === undefined) return undefined;
		// cgroup v2: "0::/system.slice/web.service"; v1 lines name controllers first.
		const line = text.split("\n").find((l) => l.startsWith("0::")) ?? "";
		const name = containerName(line.slice(3));
		this.#byPid.set(pid, name);
		return name;
	}

	/** Forget processes no longer shown (pids are reused). */
	keep(pids: ReadonlySet<number>): void {
		for (const pid of this.#byPid.keys()) if (!pids.has(pid)) this.#byPid.delete(pid);
	}
}
