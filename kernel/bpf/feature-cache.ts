// Feature probes remembered per boot. A probe loads programs and makes links
// (uprobe_multi's alone costs ~30 ms of a start); what the kernel supports
// cannot change until it reboots. Results go to a file in a private, root-owned
// directory on /run (a tmpfs: it empties at boot), named by the kernel release
// and boot id, and are trusted only when the directory and the file are owned
// by root, not group- or world-writable, and the file is a regular file (not a
// link) whose contents name this kernel and this boot. Anything else is ignored
// (and probed again); non-root runs neither read nor write it.
import {
	closeSync,
	constants,
	fstatSync,
	lstatSync,
	mkdirSync,
	openSync,
	readFileSync,
	renameSync,
	writeFileSync,
} from "node:fs";
import { release } from "node:os";

export interface CachedFeature {
	supported: boolean;
	reason?: string;
}

interface CacheFile {
	kernel: string;
	boot: string;
	features: Record<string, CachedFeature>;
}

/** The directory: $DTOP_FEATURE_CACHE (tests; "" turns the cache off), else /run/dtop. */
function directory(): string | undefined {
	const env = process.env.DTOP_FEATURE_CACHE;
	if (env === "") return undefined;
	return env ?? "/run/dtop";
}

function bootId(): string | undefined {
	try {
		return readFileSync("/proc/sys/kernel/random/boot_id", "utf8").trim();
	} catch {
		return undefined;
	}
}

/** The cache file's path for this kernel and boot, or undefined when there is no cache (not root, no boot id). */
export function featureCachePath(): string | undefined {
	if (process.geteuid?.() !== 0) return undefined;
	const dir = directory();
	const boot = bootId();
	if (!dir || !boot || !/^[0-9a-f-]{36}$/.test(boot)) return undefined;
	return `${dir}/features-${release().replace(/[^\w.+-]/g, "_")}-${boot}.json`;
}

function trustedDir(dir: string): boolean {
	try {
		const st = lstatSync(dir);
		return st.isDirectory() && st.uid === 0 && (st.mode & 0o022) === 0;
	} catch {
		return false;
	}
}

/** The cached results, or an empty map when there are none that can be trusted. */
export function loadFeatureCache(): Map<string, CachedFeature> {
	const out = new Map<string, CachedFeature>();
	const path = featureCachePath();
	if (!path || !trustedDir(path.slice(0, path.lastIndexOf("/")))) return out;
	let fd: number;
	try {
		fd = openSync(path, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
	} catch {
		return out;
	}
	try {
		const st = fstatSync(fd);
		if (!st.isFile() || st.uid !== 0 || (st.mode & 0o022) !== 0 || st.size > 65536) return out;
		const data = JSON.parse(readFileSync(fd, "utf8")) as Partial<CacheFile>;
		if (data.kernel !== release() || data.boot !== bootId() || typeof data.features !== "object" || !data.features)
			return out;
		for (const [name, r] of Object.entries(data.features)) {
			if (typeof r?.supported !== "boolean") continue;
			if (r.reason !== undefined && typeof r.reason !== "string") continue;
			out.set(name, r.reason === undefined ? { supported: r.supported } : { supported: r.supported, reason: r.reason });
		}
	} catch {
		// unreadable or not JSON: probe again
	} finally {
		closeSync(fd);
	}
	return out;
}

/** Writes the results (all of them, replacing the file); best effort: a start never fails for its cache. */
export function saveFeatureCache(features: ReadonlyMap<string, CachedFeature>): void {
	const path = featureCachePath();
	const boot = bootId();
	if (!path || !boot) return;
	const dir = path.slice(0, path.lastIndexOf("/"));
	try {
		mkdirSync(dir, { mode: 0o700 });
	} catch {
		// exists (checked next)
	}
	if (!trustedDir(dir)) return;
	const body: CacheFile = { kernel: release(), boot, features: Object.fromEntries(features) };
	const tmp = `${path}.${process.pid}`;
	try {
		writeFileSync(tmp, JSON.stringify(body), { mode: 0o600, flag: "wx" });
		renameSync(tmp, path);
	} catch {
		// a full /run or a race with another dtop: the next start probes again
	}
}
