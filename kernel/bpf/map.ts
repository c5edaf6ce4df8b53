import { EINVAL, ENOENT, ENOSPC, ENOTSUPP, EOPNOTSUPP, SyscallError, sys } from "../sys/index.ts";
import { BUILD_ID_FRAME_SIZE, possibleCpuCount } from "./map-values.ts";
import { NativeMemory, roundUp } from "./native.ts";
import { type OpenObject, track, untrack } from "./registry.ts";

/** `enum bpf_map_type` values used by dtop. */
export const MapType = {
	HASH: 1,
	ARRAY: 2,
	PROG_ARRAY: 3,
	PERF_EVENT_ARRAY: 4,
	PERCPU_HASH: 5,
	PERCPU_ARRAY: 6,
	STACK_TRACE: 7,
	CGROUP_ARRAY: 8, // cgroup directory fds, for bpf_current_task_under_cgroup
	LRU_HASH: 9,
	LRU_PERCPU_HASH: 10,
	RINGBUF: 27, // Linux 5.8+
	TASK_STORAGE: 29, // Linux 5.11+: one value per task, made on first use, freed when the task exits
} as const;

/** `map_flags` for BPF_MAP_CREATE. */
export const MapFlags = {
	NO_PREALLOC: 1 << 0,
	NO_COMMON_LRU: 1 << 1,
	/** Stack trace maps store (build id, file offset) frames instead of addresses. */
	STACK_BUILD_ID: 1 << 5,
	RDONLY_PROG: 1 << 7,
	WRONLY_PROG: 1 << 8,
	MMAPABLE: 1 << 10,
} as const;

/** `flags` for BPF_MAP_UPDATE_ELEM. */
export const UpdateFlags = { ANY: 0, NOEXIST: 1, EXIST: 2 } as const;

export const BPF_MAP_CREATE = 0;
export const BPF_MAP_LOOKUP_ELEM = 1;
export const BPF_MAP_UPDATE_ELEM = 2;
export const BPF_MAP_DELETE_ELEM = 3;
export const BPF_MAP_GET_NEXT_KEY = 4;
export const BPF_MAP_LOOKUP_BATCH = 24;

const TYPE_NAMES: Record<number, string> = {
	1: "hash",
	2: "array",
	3: "prog array",
	4: "perf event array",
	5: "per-CPU hash",
	6: "per-CPU array",
	7: "stack trace",
	9: "LRU hash",
	10: "LRU per-CPU hash",
	27: "ring buffer",
};

export function mapTypeName(type: number): string {
	return TYPE_NAMES[type] ?? `type ${type}`;
}

export interface MapSpec {
	type: number;
	keySize: number;
	valueSize: number;
	maxEntries: number;
	flags?: number;
	/** Shown by bpftool; up to 15 of [A-Za-z0-9_.] (other characters become '_'). */
	name?: string;
	/** BTF describing key and value (local-storage maps need it): the blob's fd and the two type ids. */
	btf?: { fd: number; keyTypeId: number; valueTypeId: number };
}

export interface MapEntry {
	key: Buffer;
	value: Buffer;
}

export interface PerCpuMapEntry {
	key: Buffer;
	/** One value per possible CPU, in the order of `possibleCpus()`. */
	values: Buffer[];
}

/** Every entry of a map as two packed arrays: entry i's key is at i*keyStride, its value at i*valueStride. */
export interface RawEntries {
	count: number;
	keys: Buffer;
	values: Buffer;
	keyStride: number;
	/** valueSize, or for per-CPU maps roundUp(valueSize, 8) * possible CPUs. */
	valueStride: number;
	/** Per-CPU maps: bytes between one CPU's value and the next inside an entry. */
	cpuStride: number;
}

export * from "./map-values.ts";

// --- the map ------------------------------------------------------------------------

function sanitizeName(name: string): string {
	return name.replace(/[^A-Za-z0-9_.]/g, "_").slice(0, 15);
}

const PER_CPU_TYPES = new Set<number>([MapType.PERCPU_HASH, MapType.PERCPU_ARRAY, MapType.LRU_PERCPU_HASH]);

export class BpfMap {
	readonly fd: number;
	readonly type: number;
	readonly keySize: number;
	readonly valueSize: number;
	readonly maxEntries: number;
	readonly flags: number;
	readonly name: string;
	readonly perCpu: boolean;
	/** Bytes the kernel copies for one value: valueSize, or roundUp(valueSize, 8) × possible CPUs. */
	readonly valueBytes: number;
	/** Per-CPU maps: roundUp(valueSize, 8); otherwise valueSize. */
	readonly cpuStride: number;

	private token: OpenObject | undefined;
	private readonly elemAttr = Buffer.alloc(32);
	private scratch: NativeMemory | undefined;
	private batch: { mem: NativeMemory; capacity: number; attr: Buffer } | undefined;
	/** False once the kernel refused BPF_MAP_LOOKUP_BATCH for this map. */
	private batchWorks = true;

	private constructor(fd: number, spec: Required<Omit<MapSpec, "btf">>) {
		this.fd = fd;
		this.type = spec.type;
		this.keySize = spec.keySize;
		this.valueSize = spec.valueSize;
		this.maxEntries = spec.maxEntries;
		this.flags = spec.flags;
		this.name = spec.name;
		this.perCpu = PER_CPU_TYPES.has(spec.type);
		this.cpuStride = this.perCpu ? roundUp(spec.valueSize, 8) : spec.valueSize;
		this.valueBytes = this.perCpu ? this.cpuStride * possibleCpuCount() : spec.valueSize;
		this.elemAttr.writeUInt32LE(fd, 0);
		this.token = track(spec.type === MapType.RINGBUF ? "ringbuf" : "map", this.name, fd);
	}

	static create(spec: MapSpec): BpfMap {
		const name = sanitizeName(spec.name ?? "");
		const flags = spec.flags ?? 0;
		for (const [k, v] of [
			["keySize", spec.keySize],
			["valueSize", spec.valueSize],
			["maxEntries", spec.maxEntries],
		] as const) {
			if (!Number.isInteger(v) || v < 0 || v > 0xffffffff) {
				throw new Error(`map '${name}': ${k} must be a non-negative 32-bit integer, not ${v}.`);
			}
		}
		const attr = Buffer.alloc(72);
		attr.writeUInt32LE(spec.type, 0);
		attr.writeUInt32LE(spec.keySize, 4);
		attr.writeUInt32LE(spec.valueSize, 8);
		attr.writeUInt32LE(spec.maxEntries, 12);
		attr.writeUInt32LE(flags, 16);
		attr.write(name, 28, "latin1");
		if (spec.btf) {
			attr.writeUInt32LE(spec.btf.fd, 48);
			attr.writeUInt32LE(spec.btf.keyTypeId, 52);
			attr.writeUInt32LE(spec.btf.valueTypeId, 56);
		}
		let fd: number;
		try {
			fd = sys().bpf(
				BPF_MAP_CREATE,
				attr,
				`creating ${mapTypeName(spec.type)} map '${name}' with key ${spec.keySize} B, value ${spec.valueSize} B, ${spec.maxEntries} entries`,
			);
		} catch (e) {
			if (e instanceof SyscallError && e.errno === EINVAL && spec.type === MapType.RINGBUF) {
				throw new SyscallError(
					"bpf(BPF_MAP_CREATE)",
					e.errno,
					`a ring buffer's size (${spec.maxEntries}) must be a power of two and a multiple of the page size, with key and value sizes 0`,
				);
			}
			throw e;
		}
		return new BpfMap(fd, { ...spec, flags, name });
	}

	/** A stack trace map of `maxDepth` frames per stack (the kernel caps depth at kernel.perf_event_max_stack, 127 by default). */
	static createStackTrace(opts: { maxEntries: number; maxDepth?: number; buildId?: boolean; name?: string }): BpfMap {
		const depth = opts.maxDepth ?? 127;
		return BpfMap.create({
			type: MapType.STACK_TRACE,
			keySize: 4,
			valueSize: depth * (opts.buildId ? BUILD_ID_FRAME_SIZE : 8),
			maxEntries: opts.maxEntries,
			flags: opts.buildId ? MapFlags.STACK_BUILD_ID : 0,
			name: opts.name,
		});
	}

	get closed(): boolean {
		return this.token === undefined;
	}

	close(): void {
		if (!this.token) return;
		untrack(this.token);
		this.token = undefined;
		this.scratch?.free();
		this.scratch = undefined;
		this.batch?.mem.free();
		this.batch = undefined;
		sys().close(this.fd);
	}

	// --- element operations ---

	private check(what: string, key?: Buffer): void {
		if (!this.token) throw new Error(`map '${this.name}' is closed; cannot ${what}.`);
		if (this.type === MapType.RINGBUF) {
			throw new Error(`map '${this.name}' is a ring buffer and has no keys; read it with RingBuffer.`);
		}
		if (key && key.length !== this.keySize) {
			throw new Error(
				`map '${this.name}' has ${this.keySize}-byte keys; cannot ${what} with a ${key.length}-byte key.`,
			);
		}
	}

	/** Native scratch: [key][next key][value]. */
	private mem(): NativeMemory {
		if (!this.scratch)
			this.scratch = NativeMemory.alloc(2 * roundUp(this.keySize, 8) + this.valueBytes, `map ${this.name}`);
		return this.scratch;
	}

	private get keyOff(): number {
		return 0;
	}
	private get nextKeyOff(): number {
		return roundUp(this.keySize, 8);
	}
	private get valueOff(): number {
		return 2 * roundUp(this.keySize, 8);
	}

	private elem(cmd: number, key: Buffer | undefined, withValue: boolean, flags: number): number {
		const m = this.mem();
		const a = this.elemAttr;
		if (key) key.copy(m.buf, this.keyOff);
		a.writeBigUInt64LE(key ? m.at(this.keyOff) : 0n, 8);
		a.writeBigUInt64LE(withValue ? m.at(cmd === BPF_MAP_GET_NEXT_KEY ? this.nextKeyOff : this.valueOff) : 0n, 16);
		a.writeBigUInt64LE(BigInt(flags), 24);
		const r = sys().bpfTry(cmd, a);
		return r.ret < 0 ? r.errno : 0;
	}

	private fail(call: string, errno: number, what: string): never {
		throw new SyscallError(`bpf(${call})`, errno, `${what} in map '${this.name}'`);
	}

	/** The value stored under `key`, or undefined. For per-CPU maps use `lookupPerCpu`. */
	lookup(key: Buffer): Buffer | undefined {
		this.check("look up a key", key);
		if (this.perCpu) throw new Error(`map '${this.name}' is per-CPU; read it with lookupPerCpu.`);
		const err = this.elem(BPF_MAP_LOOKUP_ELEM, key, true, 0);
		if (err === ENOENT) return undefined;
		if (err) this.fail("BPF_MAP_LOOKUP_ELEM", err, "looking up a key");
		return Buffer.from(this.mem().buf.subarray(this.valueOff, this.valueOff + this.valueSize));
	}

	/** One value per possible CPU (each `valueSize` bytes), or undefined if the key is absent. */
	lookupPerCpu(key: Buffer): Buffer[] | undefined {
		this.check("look up a key", key);
		if (!this.perCpu) throw new Error(`map '${this.name}' is not per-CPU; read it with lookup.`);
		const err = this.elem(BPF_MAP_LOOKUP_ELEM, key, true, 0);
		if (err === ENOENT) return undefined;
		if (err) this.fail("BPF_MAP_LOOKUP_ELEM", err, "looking up a key");
		const all = Buffer.from(this.mem().buf.subarray(this.valueOff, this.valueOff + this.valueBytes));
		return splitPerCpu(all, 0, this.cpuStride, this.valueSize, this.valueBytes / this.cpuStride);
	}

	/**
	 * Store `value` under `key`. Per-CPU maps take one Buffer per possible CPU (each
	 * padded to 8 bytes here, as the kernel requires) or one Buffer of `valueBytes`.
	 */
	update(key: Buffer, value: Buffer | Buffer[], flags: number = UpdateFlags.ANY): void {
		this.check("update a key", key);
		const m = this.mem();
		const dst = m.buf.subarray(this.valueOff, this.valueOff + this.valueBytes);
		if (Array.isArray(value)) {
			if (!this.perCpu) throw new Error(`map '${this.name}' is not per-CPU; pass one value Buffer.`);
			const n = this.valueBytes / this.cpuStride;
			if (value.length !== n) {
				throw new Error(`map '${this.name}' needs ${n} per-CPU values (one per possible CPU), not ${value.length}.`);
			}
			dst.fill(0);
			for (let i = 0; i < n; i++) {
				if (value[i].length !== this.valueSize) {
					throw new Error(`map '${this.name}' has ${this.valueSize}-byte values, not ${value[i].length}.`);
				}
				value[i].copy(dst, i * this.cpuStride);
			}
		} else {
			if (value.length !== this.valueBytes) {
				throw new Error(`map '${this.name}' takes ${this.valueBytes}-byte values here, not ${value.length}.`);
			}
			value.copy(dst);
		}
		const err = this.elem(BPF_MAP_UPDATE_ELEM, key, true, flags);
		if (err) this.fail("BPF_MAP_UPDATE_ELEM", err, "updating a key");
	}

	/** Remove `key`; false if it was not there. Array maps cannot delete (EINVAL). */
	delete(key: Buffer): boolean {
		this.check("delete a key", key);
		const err = this.elem(BPF_MAP_DELETE_ELEM, key, false, 0);
		if (err === ENOENT) return false;
		if (err === EINVAL && (this.type === MapType.ARRAY || this.type === MapType.PERCPU_ARRAY)) {
			throw new Error(`map '${this.name}' is an array; its entries cannot be deleted, only overwritten.`);
		}
		if (err) this.fail("BPF_MAP_DELETE_ELEM", err, "deleting a key");
		return true;
	}

	/** Every key, by BPF_MAP_GET_NEXT_KEY. Keys deleted meanwhile may restart a hash walk; the kernel guarantees progress. */
	keys(): Buffer[] {
		this.check("list keys");
		const m = this.mem();
		const out: Buffer[] = [];
		let err = this.elem(BPF_MAP_GET_NEXT_KEY, undefined, true, 0);
		while (err === 0) {
			const next = Buffer.from(m.buf.subarray(this.nextKeyOff, this.nextKeyOff + this.keySize));
			out.push(next);
			if (out.length > this.maxEntries * 2 + 16) break; // a map changing under us cannot loop forever
			err = this.elem(BPF_MAP_GET_NEXT_KEY, next, true, 0);
		}
		if (err !== ENOENT && err !== 0) this.fail("BPF_MAP_GET_NEXT_KEY", err, "listing keys");
		return out;
	}

	// --- batched reads ---

	/** Whether the last read used BPF_MAP_LOOKUP_BATCH (false after a fallback to key iteration). */
	get usesBatch(): boolean {
		return this.batchWorks;
	}

	private batchBuffers(capacity: number): { mem: NativeMemory; capacity: number; attr: Buffer } {
		if (this.batch && this.batch.capacity >= capacity) return this.batch;
		const token = roundUp(Math.max(this.keySize, 8), 8);
		const size = 2 * token + capacity * this.keySize + capacity * this.valueBytes;
		const mem = NativeMemory.alloc(size, `map ${this.name} batch`);
		const attr = this.batch?.attr ?? Buffer.alloc(56);
		if (this.batch) {
			this.batch.mem.buf.copy(mem.buf, 0, 0, 2 * token); // keep the resume token
			this.batch.mem.free();
		}
		attr.writeBigUInt64LE(mem.at(token), 8); // out_batch
		attr.writeBigUInt64LE(mem.at(2 * token), 16); // keys
		attr.writeBigUInt64LE(mem.at(2 * token + capacity * this.keySize), 24); // values
		attr.writeUInt32LE(this.fd, 36);
		this.batch = { mem, capacity, attr };
		return this.batch;
	}

	/**
	 * All entries as packed arrays, read with BPF_MAP_LOOKUP_BATCH when the kernel
	 * supports it for this map type, else by key iteration plus lookups.
	 */
	batchLookupRaw(): RawEntries {
		this.check("read entries");
		if (this.batchWorks) {
			const r = this.tryBatch();
			if (r) return r;
		}
		return this.iterateRaw();
	}

	private tryBatch(): RawEntries | undefined {
		const token = roundUp(Math.max(this.keySize, 8), 8);
		let b = this.batchBuffers(this.batch?.capacity ?? Math.max(1, Math.min(this.maxEntries, 4096)));
		const keyChunks: Buffer[] = [];
		const valueChunks: Buffer[] = [];
		let total = 0;
		let first = true;
		for (;;) {
			b.attr.writeBigUInt64LE(first ? 0n : b.mem.at(0), 0); // in_batch
			b.attr.writeUInt32LE(b.capacity, 32);
			const r = sys().bpfTry(BPF_MAP_LOOKUP_BATCH, b.attr);
			const err = r.ret < 0 ? r.errno : 0;
			if (err === ENOSPC) {
				// One hash bucket holds more entries than the buffers: grow and retry.
				b = this.batchBuffers(b.capacity * 2);
				continue;
			}
			if (first && (err === EINVAL || err === ENOTSUPP || err === EOPNOTSUPP)) {
				this.batchWorks = false;
				return undefined;
			}
			if (err !== 0 && err !== ENOENT) this.fail("BPF_MAP_LOOKUP_BATCH", err, "reading entries");
			const n = b.attr.readUInt32LE(32);
			if (n > 0) {
				const keysAt = 2 * token;
				const valuesAt = keysAt + b.capacity * this.keySize;
				keyChunks.push(Buffer.from(b.mem.buf.subarray(keysAt, keysAt + n * this.keySize)));
				valueChunks.push(Buffer.from(b.mem.buf.subarray(valuesAt, valuesAt + n * this.valueBytes)));
				total += n;
			}
			if (err === ENOENT) break;
			b.mem.buf.copy(b.mem.buf, 0, token, 2 * token); // out_batch becomes the next in_batch
			first = false;
		}
		return {
			count: total,
			keys: keyChunks.length === 1 ? keyChunks[0] : Buffer.concat(keyChunks),
			values: valueChunks.length === 1 ? valueChunks[0] : Buffer.concat(valueChunks),
			keyStride: this.keySize,
			valueStride: this.valueBytes,
			cpuStride: this.cpuStride,
		};
	}

	private iterateRaw(): RawEntries {
		const keys = this.keys();
		const keyBuf = Buffer.alloc(keys.length * this.keySize);
		const valBuf = Buffer.alloc(keys.length * this.valueBytes);
		const m = this.mem();
		let n = 0;
		for (const k of keys) {
			const err = this.elem(BPF_MAP_LOOKUP_ELEM, k, true, 0);
			if (err === ENOENT) continue; // deleted since it was listed
			if (err) this.fail("BPF_MAP_LOOKUP_ELEM", err, "reading entries");
			k.copy(keyBuf, n * this.keySize);
			m.buf.copy(valBuf, n * this.valueBytes, this.valueOff, this.valueOff + this.valueBytes);
			n++;
		}
		return {
			count: n,
			keys: keyBuf.subarray(0, n * this.keySize),
			values: valBuf.subarray(0, n * this.valueBytes),
			keyStride: this.keySize,
			valueStride: this.valueBytes,
			cpuStride: this.cpuStride,
		};
	}

	/** All key/value pairs of a map that is not per-CPU. */
	batchLookup(): MapEntry[] {
		if (this.perCpu) throw new Error(`map '${this.name}' is per-CPU; read it with batchLookupPerCpu.`);
		const r = this.batchLookupRaw();
		const out: MapEntry[] = new Array(r.count);
		for (let i = 0; i < r.count; i++) {
			out[i] = {
				key: r.keys.subarray(i * r.keyStride, (i + 1) * r.keyStride),
				value: r.values.subarray(i * r.valueStride, (i + 1) * r.valueStride),
			};
		}
		return out;
	}

	/** All entries of a per-CPU map, each with one value per possible CPU. */
	batchLookupPerCpu(): PerCpuMapEntry[] {
		if (!this.perCpu) throw new Error(`map '${this.name}' is not per-CPU; read it with batchLookup.`);
		const r = this.batchLookupRaw();
		const ncpu = r.valueStride / r.cpuStride;
		const out: PerCpuMapEntry[] = new Array(r.count);
		for (let i = 0; i < r.count; i++) {
			out[i] = {
				key: r.keys.subarray(i * r.keyStride, (i + 1) * r.keyStride),
				values: splitPerCpu(r.values, i * r.valueStride, r.cpuStride, this.valueSize, ncpu),
			};
		}
		return out;
	}
}

function splitPerCpu(buf: Buffer, at: number, stride: number, size: number, ncpu: number): Buffer[] {
	const out: Buffer[] = new Array(ncpu);
	for (let c = 0; c < ncpu; c++) out[c] = buf.subarray(at + c * stride, at + c * stride + size);
	return out;
}
