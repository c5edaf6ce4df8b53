// Enumerate the kernel's BPF programs and links (BPF_PROG_GET_NEXT_ID and
// friends), so tests can prove that nothing of dtop's is left behind.
import { readdirSync, readFileSync, readlinkSync } from "node:fs";
import { nativeCopy, sys } from "../../kernel/sys/index.ts";

const BPF_PROG_GET_NEXT_ID = 11;
const BPF_MAP_GET_NEXT_ID = 12;
const BPF_PROG_GET_FD_BY_ID = 13;
const BPF_OBJ_GET_INFO_BY_FD = 15;
const BPF_LINK_GET_FD_BY_ID = 30;
const BPF_LINK_GET_NEXT_ID = 31;

function ids(cmd: number): number[] {
	const out: number[] = [];
	let id = 0;
	for (;;) {
		const attr = Buffer.alloc(16);
		attr.writeUInt32LE(id, 0);
		const r = sys().bpfTry(cmd, attr);
		if (r.ret < 0) break;
		id = attr.readUInt32LE(4);
		out.push(id);
	}
	return out;
}

function info(getFd: number, id: number, size: number): Buffer | undefined {
	const a = Buffer.alloc(16);
	a.writeUInt32LE(id, 0);
	const r = sys().bpfTry(getFd, a);
	if (r.ret < 0) return undefined;
	try {
		const buf = Buffer.alloc(size);
		const attr = Buffer.alloc(16);
		attr.writeUInt32LE(r.ret, 0);
		attr.writeUInt32LE(size, 4);
		// The info pointer must be native memory that stays put.
		const mem = nativeCopy(Buffer.alloc(size));
		attr.writeBigUInt64LE(mem.addr, 8);
		if (sys().bpfTry(BPF_OBJ_GET_INFO_BY_FD, attr).ret < 0) return undefined;
		Buffer.from(sys().view(mem.addr, size)).copy(buf);
		mem.free();
		return buf;
	} finally {
		sys().close(r.ret);
	}
}

export interface ProgInfo {
	id: number;
	name: string;
}

export function programs(): ProgInfo[] {
	const out: ProgInfo[] = [];
	for (const id of ids(BPF_PROG_GET_NEXT_ID)) {
		const b = info(BPF_PROG_GET_FD_BY_ID, id, 128);
		if (!b) continue;
		const raw = b.subarray(64, 80);
		const end = raw.indexOf(0);
		out.push({ id, name: raw.toString("utf8", 0, end < 0 ? 16 : end) });
	}
	return out;
}

/** The ids of every BPF map in the kernel. */
export function mapIds(): number[] {
	return ids(BPF_MAP_GET_NEXT_ID);
}

/** The BPF programs, links and maps process `pid` holds open, by kernel id (from /proc/PID/fdinfo). */
export function heldBy(pid: number): { programs: number[]; links: number[]; maps: number[] } {
	const out = { programs: [] as number[], links: [] as number[], maps: [] as number[] };
	for (const fd of readdirSync(`/proc/${pid}/fd`)) {
		let text: string;
		try {
			text = readFileSync(`/proc/${pid}/fdinfo/${fd}`, "utf8");
		} catch {
			continue;
		}
		// A link's fdinfo names its program too: look for the link first.
		const id = (k: string) => new RegExp(`^${k}:\\s+(\\d+)$`, "m").exec(text)?.[1];
		const link = id("link_id");
		const prog = id("prog_id");
		const map = id("map_id");
		if (link) out.links.push(Number(link));
		else if (prog) out.programs.push(Number(prog));
		else if (map) out.maps.push(Number(map));
	}
	return out;
}

/** Links and the program each one runs. */
export function links(): { id: number; progId: number }[] {
	const out: { id: number; progId: number }[] = [];
	for (const id of ids(BPF_LINK_GET_NEXT_ID)) {
		const b = info(BPF_LINK_GET_FD_BY_ID, id, 64);
		if (b) out.push({ id, progId: b.readUInt32LE(8) });
	}
	return out;
}

/**
 * This process's open descriptors of kernel tracing objects (BPF maps, programs,
 * links, BTF, perf events), as "fd → target". Node and libuv open descriptors of
 * their own lazily (event fds, pipes, the thread pool), so a plain count of
 * /proc/self/fd is not a leak check; this is.
 */
export function tracingFds(): string[] {
	const out: string[] = [];
	for (const fd of readdirSync("/proc/self/fd")) {
		let target: string;
		try {
			target = readlinkSync(`/proc/self/fd/${fd}`);
		} catch {
			continue; // the descriptor readdir itself used, now closed
		}
		if (/^anon_inode:\[?(bpf|btf|perf_event)/.test(target)) out.push(`${fd} → ${target}`);
	}
	return out.sort();
}
