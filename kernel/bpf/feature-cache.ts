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
	offsets?: Record<string, number>;
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

/** The file's contents when it can be trusted and names this kernel and boot. */
function readTrusted(): Partial<CacheFile> | undefined {
	const path = featureCachePath();
	if (!path || !trustedDir(path.slice(0, path.lastIndexOf("/")))) return undefined;
	let fd: number;
	try {
		fd = openSync(path, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
	} catch {
		return undefined;
	}
	try {
		const st = fstatSync(fd);
		if (!st.isFile() || st.uid !== 0 || (st.mode & 0o022) !== 0 || st.size > 65536) return undefined;
		const data = JSON.parse(readFileSync(fd, "utf8")) as Partial<CacheFile>;
		return data.kernel === release() && data.boot === bootId() ? data : undefined;
	} catch {
		// unreadable or not JSON: probe again
		return undefined;
	} finally {
		closeSync(fd);
	}
}

/** The cached results, or an empty map when there are none that can be trusted. */
export function loadFeatureCache(): Map<string, CachedFeature> {
	const out = new Map<string, CachedFeature>();
	const data = readTrusted();
	if (typeof data?.features !== "object" || !data.features) return out;
	for (const [name, r] of Object.entries(data.features)) {
		if (typeof r?.supported !== "boolean") continue;
		if (r.reason !== undefined && typeof r.reason !== "string") continue;
		out.set(name, r.reason === undefined ? { supported: r.supported } : { supported: r.supported, reason: r.reason });
	}
	return out;
}

/** Kernel layout facts (BTF member offsets; -1: no such member) remembered this boot, loaded at first use. */
let offsets: Map<string, number> | undefined;

function loadOffsets(): Map<string, number> {
	const out = new Map<string, number>();
	const data = readTrusted()?.offsets;
	if (typeof data !== "object" || !data) return out;
	for (const [k, v] of Object.entries(data)) if (Number.isSafeInteger(v) && v >= -1) out.set(k, v);
	return out;
}

/** Forget the numbers read (tests: the next bootNumber() reads the file again). */
export function forgetBootNumbers(): void {
	offsets = undefined;
}

/**
 * A number about this kernel that cannot change until it reboots (the offset of
 * a struct member, read from its 5 MB BTF in ~40 ms): `compute()` once per boot,
 * remembered beside the feature probes. Undefined (no such member) is kept as
 * -1; a compute() that throws is not remembered.
 */
export function bootNumber(key: string, compute: () => number | undefined): number | undefined {
	if (!featureCachePath()) return compute();
	offsets ??= loadOffsets();
	const known = offsets.get(key);
	if (known !== undefined) return known < 0 ? undefined : known;
	const v = compute();
	offsets.set(key, v ?? -1);
	saveFeatureCache(loadFeatureCache());
	return v;
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
	offsets ??= loadOffsets();
	const body: CacheFile = { kernel: release(), boot, features: Object.fromEntries(features) };
	if (offsets.size) body.offsets = Object.fromEntries(offsets);
	const tmp = `${path}.${process.pid}`;
	try {
		writeFileSync(tmp, JSON.stringify(body), { mode: 0o600, flag: "wx" });
		renameSync(tmp, path);
	} catch {
		// a full /run or a race with another dtop: the next start probes again
	}
}
