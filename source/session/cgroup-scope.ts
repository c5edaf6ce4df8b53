// --cgroup PATH: every enabling's programs first ask
// bpf_current_task_under_cgroup (Linux 4.9+) whether the firing task is in the
// cgroup PATH or below it; entry 0 of a BPF_MAP_TYPE_CGROUP_ARRAY holds that
// cgroup (the map keeps its own reference, so the directory's fd is closed at
// once). Chosen over bpf_get_current_ancestor_cgroup_id, which needs the
// cgroup's level and is one more helper per firing for nothing. BEGIN, END and
// profile's tick-N probes are not limited: they do not run on behalf of a
// process.
//
// PATH is a directory of the cgroup v2 file system (/sys/fs/cgroup/system.slice)
// or a cgroup path as /proc/PID/cgroup shows it (/system.slice), taken under
// the mount.
import { closeSync, existsSync, openSync, realpathSync, statSync } from "node:fs";
import { join } from "node:path";
import { BpfMap, MapType } from "../../kernel/bpf/index.ts";
import { cgroup2Mount } from "../catalog/cgroups.ts";
import { isKind } from "../providers/index.ts";
import type { TraceProbe } from "../providers/types.ts";
import { SessionError } from "./errors.ts";

/** The cgroup directory PATH names, or a SessionError of one sentence. */
export function resolveCgroupPath(path: string, mount = cgroup2Mount()): string {
	if (!mount) throw new SessionError("--cgroup needs cgroup v2, and no cgroup2 file system is mounted.");
	if (path === "") throw new SessionError("--cgroup needs a cgroup path, such as /system.slice.");
	const candidates = path.startsWith(`${mount}/`) || path === mount ? [path] : [join(mount, path)];
	for (const c of candidates) {
		let real: string;
		try {
			real = realpathSync(c);
		} catch {
			continue;
		}
		if (
			(real === mount || real.startsWith(`${mount}/`)) &&
			statSync(real).isDirectory() &&
			existsSync(join(real, "cgroup.procs"))
		)
			return real;
	}
	throw new SessionError(
		`--cgroup ${path}: no such cgroup under ${mount} (give a directory there or a path as /proc/PID/cgroup shows it).`,
	);
}

export function cgroupScopeMap(path: string): BpfMap {
	const dir = resolveCgroupPath(path);
	const map = BpfMap.create({
		type: MapType.CGROUP_ARRAY,
		keySize: 4,
		valueSize: 4,
		maxEntries: 1,
		name: "dtop_cgscope",
	});
	const fd = openSync(dir, "r");
	try {
		const v = Buffer.alloc(4);
		v.writeUInt32LE(fd);
		map.update(Buffer.alloc(4), v);
	} catch (e) {
		map.close();
		throw e;
	} finally {
		closeSync(fd);
	}
	return map;
}

/** The scope map's fd for a group of probes, or undefined: BEGIN/END/ERROR and tick-N are not limited. */
export function cgroupScopeFor(map: BpfMap | undefined, probes: TraceProbe[]): number | undefined {
	const p = probes[0];
	if (!map || !p || isKind(p, "dtrace") || (isKind(p, "profile") && p.name.startsWith("tick-"))) return undefined;
	return map.fd;
}
