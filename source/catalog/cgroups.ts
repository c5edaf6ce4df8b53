// cgroup v2 directories and the container names dtop derives from them.
//
// A cgroup's id (bpf_get_current_cgroup_id) is the inode number of its
// directory in the cgroup v2 file system, so walking the mount and stat-ing
// each directory maps ids to paths. The walk is cheap (one readdir per
// directory) and is redone only when an id is not known.
//
// The container name of a cgroup path, looking from the last component up to
// the root and taking the first that matches (so a container's own sub-cgroups
// carry its name):
//   docker-ID.scope, docker/ID            → the first 12 hex digits of ID (docker's short id)
//   cri-containerd-ID.scope, crio-ID.scope → 12 hex digits
//   ID (64 hex digits) below docker/, containerd/, crio/, libpod_parent/, machine.slice/ or kubepods* → 12 hex digits
//   libpod-ID.scope (podman; not libpod-conmon-…)  → 12 hex digits
//   NAME.service                           → NAME.service (systemd services, user@UID.service's too)
//   session-N.scope                        → session-N.scope (a user's login session)
// and when none matches, the last component; the root cgroup's name is "".
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";

const HEX = /^[0-9a-f]{64}$/;
const SCOPED = /^(?:docker|cri-containerd|crio|libpod)-([0-9a-f]{64})\.scope$/;
const RUNTIME_DIRS = new Set(["docker", "containerd", "libpod_parent", "crio", "machine.slice"]);

/** The container name of one cgroup path ("/system.slice/docker-<id>.scope"), by the rules above. */
export function containerName(path: string): string {
	const parts = path.split("/").filter((p) => p !== "");
	for (let i = parts.length - 1; i >= 0; i--) {
		const c = parts[i]!;
		const m = SCOPED.exec(c);
		if (m) return m[1]!.slice(0, 12);
		if (HEX.test(c) && parts.slice(0, i).some((p) => RUNTIME_DIRS.has(p) || p.startsWith("kubepods")))
			return c.slice(0, 12);
		if (c.endsWith(".service") && c.length > ".service".length) return c;
		if (/^session-[^/]+\.scope$/.test(c)) return c;
	}
	return parts[parts.length - 1] ?? "";
}

/** Where cgroup v2 is mounted (/sys/fs/cgroup; /sys/fs/cgroup/unified on a hybrid system), or undefined. */
export function cgroup2Mount(): string | undefined {
	let mounts: string;
	try {
		mounts = readFileSync("/proc/self/mounts", "utf8");
	} catch {
		return undefined;
	}
	for (const line of mounts.split("\n")) {
		const f = line.split(" ");
		if (f[2] === "cgroup2") return f[1]!.replace(/\\040/g, " ");
	}
	return undefined;
}

/** cgroup ids to paths (relative to the mount, "/" for the root), walked on demand. */
export class CgroupIndex {
	#byId = new Map<bigint, string>();
	#walkedAt = 0;
	/** Walks made (a test of the cache reads it). */
	walks = 0;

	constructor(
		readonly mount: string | undefined = cgroup2Mount(),
		/** A miss walks again at most this often (ms): a process outside this mount's view stays unknown. */
		private readonly minInterval = 250,
	) {}

	/** The path of cgroup `id`, walking the hierarchy again if it is not known (and was not just walked). */
	path(id: bigint): string | undefined {
		const have = this.#byId.get(id);
		if (have !== undefined) return have;
		if (Date.now() - this.#walkedAt < this.minInterval) return undefined;
		this.walk();
		return this.#byId.get(id);
	}

	/** Every known cgroup (after a walk). */
	all(): Map<bigint, string> {
		if (this.walks === 0) this.walk();
		return this.#byId;
	}

	walk(): void {
		this.walks++;
		this.#walkedAt = Date.now();
		if (!this.mount) return;
		const byId = new Map<bigint, string>();
		const visit = (dir: string, rel: string) => {
			let st: ReturnType<typeof statSync>;
			try {
				st = statSync(dir, { bigint: true });
			} catch {
				return; // removed while walking
			}
			byId.set(st.ino, rel === "" ? "/" : rel);
			let entries: import("node:fs").Dirent[];
			try {
				entries = readdirSync(dir, { withFileTypes: true });
			} catch {
				return;
			}
			for (const e of entries) if (e.isDirectory()) visit(join(dir, e.name), `${rel}/${e.name}`);
		};
		visit(this.mount, "");
		this.#byId = byId;
	}
}
