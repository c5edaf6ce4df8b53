// USDT and pid-provider probes: uprobes at file offsets, one uprobe_multi link
// per group where the kernel has it (6.6), else one perf-event link per site.
import { statSync } from "node:fs";
import { attachUprobeMultiSkipping, attachUprobePerf } from "../../kernel/attach/index.ts";
import { AttachType, ProgType } from "../../kernel/bpf/index.ts";
import { archFor } from "../../kernel/sys/index.ts";
import { splitUsdtArgs } from "../../kernel/usdt/index.ts";
import { escapeForTerminal } from "../util/escape.ts";
import { uprobeRefusal } from "./refusal.ts";
import {
	functionArgs,
	type ProbeKindModule,
	type ProbeOf,
	type Provider,
	reg,
	type TargetProvider,
	traceBase,
} from "./types.ts";
import { usdtArgPlans } from "./usdt-args.ts";

const inodes = new Map<string, string>();

/** The file a path names now, as device:inode (the path itself when it cannot be read). */
function fileOf(path: string): string {
	let file = inodes.get(path);
	if (file === undefined) {
		try {
			const st = statSync(path);
			file = `${st.dev}:${st.ino}`;
		} catch {
			file = path;
		}
		if (inodes.size > 10_000) inodes.clear();
		inodes.set(path, file);
	}
	return file;
}

export const uprobeProvider: TargetProvider<"uprobe"> = {
	kind: "uprobe",
	nesting: "uprobe",
	nests: false,
	// The file (whatever path or symlink named it), offset, direction and
	// process: a library's probe planned before exec and the one the catalog
	// finds after it are one probe.
	identity: ({ target: t }) => `u:${fileOf(t.path)}:${t.offset}:${t.ret}:${t.pid ?? 0}`,
	// USDT arguments are read per site (registers and stack slots differ): a
	// program that reads them serves the sites with the same argument specs.
	groupKey: ({ target: t }, reads) => `u:${t.path}:${t.pid ?? 0}:${t.ret}:${reads.args ? (t.usdtArgs ?? "") : ""}`,
	context({ target: t }, env) {
		const arch = archFor();
		const ctx = env.uprobeMulti ? "uprobe-multi" : "uprobe";
		const r = (name: string) => reg(arch.regs[name]);
		if (t.usdtArgs !== undefined) return { ctx, args: usdtArgPlans(t.usdtArgs, arch) };
		if (t.ret) return { ctx, args: [{ k: "const", v: 0n }, r(arch.retReg)], retval: r(arch.retReg) };
		return { ctx, args: arch.argRegs.map(r) };
	},
	load: (_probes, env) => ({
		type: ProgType.KPROBE,
		expectedAttachType: env.uprobeMulti ? AttachType.BPF_TRACE_UPROBE_MULTI : undefined,
	}),
	// A site the kernel will not probe (pthread_spin_lock begins with `lock decl`)
	// is skipped; the rest of the object's sites are attached.
	attach(fd, probes, env, cookie, { skip }) {
		const first = probes[0].target;
		const spec = {
			path: first.path,
			pid: first.pid,
			retprobe: first.ret,
			sites: probes.map((p, i) => ({
				offset: p.target.offset,
				refCtrOffset: p.target.refCtrOffset,
				cookie: cookie(i),
			})),
		};
		const perSite = (e: unknown) => uprobeRefusal(e) !== undefined;
		const refused = (i: number, e: unknown) => skip(i, uprobeRefusal(e) ?? String(e));
		const links = env.uprobeMulti
			? attachUprobeMultiSkipping(fd, spec, perSite, refused)
			: [attachUprobePerf(fd, spec, perSite, refused)];
		// A perf-event link whose every site was refused holds nothing.
		for (const l of links) if (l.count === 0) l.close();
		return links.filter((l) => l.count > 0);
	},
};

/** Whether the probe belongs to a process that has exited. */
export function ofExited(p: ProbeOf<"uprobe">, exited: ReadonlySet<number>): boolean {
	return p.target.pid !== undefined && p.target.pid !== 0 && exited.has(p.target.pid);
}

/** `PROVIDER<PID>:MODULE:FUNCTION:NAME` from a process's `.note.stapsdt` notes (the catalog finds them in processes). */
const usdtProbeKind: ProbeKindModule<"usdt"> = {
	kind: "usdt",
	// A uprobe per site: a probe macro may be expanded in several places.
	targets: (p) =>
		p.sites.map((s) => ({
			...traceBase(p),
			target: {
				kind: "uprobe" as const,
				path: s.openPath,
				offset: BigInt(s.pcOffset),
				ret: false,
				pid: p.pid,
				refCtrOffset: s.semaphoreOffset ? BigInt(s.semaphoreOffset) : undefined,
				usdtArgs: s.args,
			},
		})),
	describe(p) {
		const out: string[] = [];
		for (const s of p.sites) {
			out.push(
				`${escapeForTerminal(s.path)} +0x${s.pcOffset.toString(16)}${s.semaphoreOffset ? ` semaphore +0x${s.semaphoreOffset.toString(16)}` : ""}`,
			);
			const args = s.args.trim() === "" ? [] : s.args.trim().split(/\s+/);
			args.forEach((a, i) => {
				out.push(`args[${i}]: ${escapeForTerminal(a)}`);
			});
		}
		return out;
	},
	args(p) {
		const specs = splitUsdtArgs(p.sites[0]?.args ?? "");
		const args = specs.map((_, i) => i);
		// A pointer is 8 unsigned bytes (`8@%rdi`); signed or narrower ones are numbers.
		const strings = args.filter((i) => /^8@/.test(specs[i]));
		return { args, strings, kernel: false };
	},
	// As its note describes them, one line each: `arg0  uint64  %rdi  (copyinstr(arg0) if it points to a string)`.
	argNotes: (p) =>
		splitUsdtArgs(p.sites[0]?.args ?? "").map((spec, i) => {
			const m = /^([+-]?)(\d+)@(.*)$/.exec(spec);
			// SystemTap's first note format had no size: a whole register, unsigned.
			const [signed, bytes, where] = m ? [m[1] === "-", Number(m[2]), m[3]] : [false, 8, spec];
			const type = `${signed ? "int" : "uint"}${bytes * 8}`;
			const hint = !signed && bytes === 8 ? `  (copyinstr(arg${i}) if it points to a string)` : "";
			return `arg${i}  ${type}  ${where}${hint}`;
		}),
	onFile: (p) => p.sites.map((s) => `u:${s.dev}:${s.inode}:${s.pcOffset}:false:0`),
	// `prefork (3 processes)` → `prefork4242` (with its command line) → module → function → name.
	tree: { group: (p) => ({ name: p.usdtProvider, pid: p.pid }) },
};

/** `pid<PID>:MODULE:FUNCTION:entry|return`: made by the catalog when a description names them. */
const pidProbeKind: ProbeKindModule<"uprobe"> = {
	kind: "uprobe",
	targets: (p) => [
		{
			...traceBase(p),
			target: { kind: "uprobe", path: p.openPath, offset: BigInt(p.offset), ret: p.which === "return", pid: p.pid },
		},
	],
	describe: (p) => [
		`${escapeForTerminal(p.path)} +0x${p.offset.toString(16)}${p.which === "return" ? " (return)" : ""}`,
	],
	// DTrace's return probes: arg0 the offset, arg1 the return value.
	args: (p) =>
		p.which === "return"
			? { args: [1], strings: [], kernel: false }
			: { args: functionArgs(), strings: [], kernel: false },
	onFile: (p) => [`u:${p.dev}:${p.inode}:${p.offset}:${p.which === "return"}:0`],
	// `pid` → `pid4242` → its objects → their functions → entry/return, each read when opened (app/pid-tree.ts).
	tree: { lazy: { row: "pid", names: ["entry", "return"] } },
};

export const uprobe: Provider = { probes: [usdtProbeKind, pidProbeKind], target: uprobeProvider };
