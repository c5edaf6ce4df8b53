// User probes: entry/return probes at file offsets of an ELF object, and USDT
// probes (the same, plus the semaphore's file offset as ref_ctr_offset).
//
// Two ways in:
// - uprobe_multi (BPF_TRACE_UPROBE_MULTI, Linux 6.6+): one link for any number of
//   sites in one file, attached and detached in one go (~25 ms for 100 sites,
//   against ~10 s for 100 perf-event uprobes here). The program must be loaded
//   with expected_attach_type = BPF_TRACE_UPROBE_MULTI.
// - a perf event of the `uprobe` PMU per site with a BPF link carrying the
//   cookie (Linux 5.15+), for kernels without uprobe_multi.
// Either way the probes die with the last fd, so a killed dtop leaves nothing.
import { readFileSync } from "node:fs";
import { nativeCString, nativeU64Array, PERF_FLAG_FD_CLOEXEC, sys } from "../sys/index.ts";
import { BPF_LINK_CREATE, BPF_TRACE_UPROBE_MULTI, closeQuietly, type Link, linkPerfEvent, makeLink } from "./link.ts";
import { perfAttr } from "./perf-attr.ts";

export interface UprobeSite {
	/** File offset of the instruction to probe. */
	offset: bigint;
	/** File offset of a USDT semaphore (a u16 counter the kernel bumps while attached). */
	refCtrOffset?: bigint;
	/** Delivered to the program by bpf_get_attach_cookie(): dtop's probe id. */
	cookie: bigint;
}

export interface UprobeSpec {
	path: string;
	sites: UprobeSite[];
	retprobe?: boolean;
	/** Only this process (uprobe_multi's pid filter / perf's pid argument). */
	pid?: number;
}

const BPF_F_UPROBE_MULTI_RETURN = 1;

export function attachUprobeMulti(progFd: number, spec: UprobeSpec): Link {
	if (spec.sites.length === 0) throw new Error("attachUprobeMulti: no sites");
	const path = nativeCString(spec.path);
	const offsets = nativeU64Array(spec.sites.map((s) => s.offset));
	const cookies = nativeU64Array(spec.sites.map((s) => s.cookie));
	const hasRef = spec.sites.some((s) => s.refCtrOffset !== undefined && s.refCtrOffset !== 0n);
	const refs = hasRef ? nativeU64Array(spec.sites.map((s) => s.refCtrOffset ?? 0n)) : undefined;
	try {
		const attr = Buffer.alloc(64);
		attr.writeUInt32LE(progFd, 0);
		attr.writeUInt32LE(0, 4);
		attr.writeUInt32LE(BPF_TRACE_UPROBE_MULTI, 8);
		attr.writeBigUInt64LE(path.addr, 16);
		attr.writeBigUInt64LE(offsets.addr, 24);
		attr.writeBigUInt64LE(refs?.addr ?? 0n, 32);
		attr.writeBigUInt64LE(cookies.addr, 40);
		attr.writeUInt32LE(spec.sites.length, 48);
		attr.writeUInt32LE(spec.retprobe ? BPF_F_UPROBE_MULTI_RETURN : 0, 52);
		attr.writeUInt32LE(spec.pid && spec.pid > 0 ? spec.pid : 0, 56);
		const fd = sys().bpf(BPF_LINK_CREATE, attr, `uprobe_multi on ${spec.path}`);
		return makeLink("uprobe_multi", spec.path, spec.sites.length, [fd]);
	} finally {
		// The kernel copies everything during the call.
		path.free();
		offsets.free();
		cookies.free();
		refs?.free();
	}
}

/** Decides whether an error is the kernel refusing one site (skip it) rather than the whole attachment (throw). */
export type SiteRefusal = (e: unknown) => boolean;

/**
 * uprobe_multi over the sites the kernel accepts: the kernel refuses the whole
 * link when it refuses one site (an instruction it cannot probe, such as a
 * `lock`-prefixed first instruction: ENOTSUPP), so on a refusal the set is
 * halved and each half tried again, down to the sites refused alone. With k
 * refused sites among n this makes about 2k·log2(n) attempts and leaves at
 * most that many links; `refused(i, e)` hears of each refused site.
 */
export function attachUprobeMultiSkipping(
	progFd: number,
	spec: UprobeSpec,
	perSite: SiteRefusal,
	refused: (i: number, e: unknown) => void,
): Link[] {
	const links: Link[] = [];
	const tryRange = (from: number, to: number): void => {
		try {
			links.push(attachUprobeMulti(progFd, { ...spec, sites: spec.sites.slice(from, to) }));
		} catch (e) {
			if (!perSite(e)) throw e;
			if (to - from === 1) {
				refused(from, e);
				return;
			}
			const mid = from + ((to - from) >> 1);
			tryRange(from, mid);
			tryRange(mid, to);
		}
	};
	try {
		tryRange(0, spec.sites.length);
	} catch (e) {
		for (const l of links) l.close();
		throw e;
	}
	return links;
}

interface UprobePmu {
	type: number;
	retprobeBit: number;
	refCtrShift: number;
}
let pmu: UprobePmu | undefined;

function configBit(file: string, fallback: number): number {
	try {
		const m = /config:(\d+)/.exec(readFileSync(file, "utf8"));
		return m ? Number(m[1]) : fallback;
	} catch {
		return fallback;
	}
}

function uprobePmu(): UprobePmu {
	if (!pmu) {
		const base = "/sys/bus/event_source/devices/uprobe";
		const type = Number.parseInt(readFileSync(`${base}/type`, "utf8"), 10);
		pmu = {
			type,
			retprobeBit: configBit(`${base}/format/retprobe`, 0),
			refCtrShift: configBit(`${base}/format/ref_ctr_offset`, 32),
		};
	}
	return pmu;
}

/**
 * One perf-event uprobe per site, each with its own BPF link and cookie. With
 * `perSite`, a site the kernel refuses alone goes to `refused` and the others
 * are attached; without, any refusal fails the whole.
 */
export function attachUprobePerf(
	progFd: number,
	spec: UprobeSpec,
	perSite?: SiteRefusal,
	refused?: (i: number, e: unknown) => void,
): Link {
	const p = uprobePmu();
	const path = nativeCString(spec.path);
	const fds: number[] = [];
	try {
		spec.sites.forEach((site, i) => {
			let config = 0n;
			if (spec.retprobe) config |= 1n << BigInt(p.retprobeBit);
			if (site.refCtrOffset) config |= site.refCtrOffset << BigInt(p.refCtrShift);
			const attr = perfAttr({ type: p.type, config, config1: path.addr, config2: site.offset });
			const pid = spec.pid && spec.pid > 0 ? spec.pid : -1;
			try {
				const perfFd = sys().perfEventOpen(attr, pid, pid > 0 ? -1 : 0, -1, PERF_FLAG_FD_CLOEXEC);
				try {
					fds.push(linkPerfEvent(progFd, perfFd, site.cookie));
				} finally {
					sys().close(perfFd);
				}
			} catch (e) {
				if (!perSite?.(e) || !refused) throw e;
				refused(i, e);
			}
		});
	} catch (e) {
		closeQuietly(fds);
		throw e;
	} finally {
		path.free();
	}
	return makeLink("perf-uprobe", spec.path, fds.length, fds);
}
