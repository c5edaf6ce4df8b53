// scripts/bench: dtop against its peers, side by side, on this machine.
//
//   scripts/bench                 every section; writes BENCHMARKS.md
//   scripts/bench SECTION...      only these sections; their parts of BENCHMARKS.md are replaced
//   scripts/bench --quick         a fast subset (fewer firings, no slow peers); prints, writes nothing
//   scripts/bench --out FILE      write FILE instead of BENCHMARKS.md
//
// Sections: firing, attach, list, consumer, memory, ui, startup, stacks, events, procs; soak is written by scripts/soak. Progress goes to stderr.

import { execFileSync } from "node:child_process";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { cpus, hostname, loadavg, release, totalmem } from "node:os";
import { openObjectList } from "../../kernel/bpf/index.ts";
import { attach } from "./attach.ts";
import { consumer } from "./consumer.ts";
import { dvars } from "./dvars.ts";
import { events } from "./events.ts";
import { firing } from "./firing.ts";
import { listing } from "./listing.ts";
import { memory } from "./memory.ts";
import { procs } from "./procs.ts";
import { stacks } from "./stacks.ts";
import { startup } from "./startup.ts";
import { ui } from "./ui.ts";
import { liveChildren, progress, ROOT, reapAll, type SectionResult, table } from "./util.ts";

const SECTIONS: Record<string, (o: { quick: boolean }) => Promise<SectionResult>> = {
	firing,
	attach,
	list: listing,
	consumer,
	memory,
	ui,
	startup,
	stacks,
	dvars,
	events,
	procs,
};

const TITLES: Record<string, string> = {
	firing: "1. Cost per firing",
	attach: "2. Attach and detach",
	list: "3. Listing probes",
	consumer: "4. Consumer CPU per tick",
	memory: "5. Resident memory",
	ui: "6. Interactive UI",
	startup: "7. Start-up: checkout, npm package, single executable",
	stacks: "8. User stacks without frame pointers",
	dvars: "9. Variables and speculations per firing",
	events: "10. Per-event output",
	procs: "12. Process events",
};

function usage(msg?: string): never {
	if (msg) process.stderr.write(`bench: ${msg}\n`);
	process.stderr.write(`usage: scripts/bench [--quick] [--out FILE] [${Object.keys(SECTIONS).join("|")}]...\n`);
	process.exit(2);
}

function parseArgs(argv: string[]) {
	let quick = false;
	let out: string | undefined;
	const sections: string[] = [];
	for (let i = 0; i < argv.length; i++) {
		const a = argv[i];
		if (a === "--quick") quick = true;
		else if (a === "--out") out = argv[++i] ?? usage("--out needs a file name");
		else if (a === "-h" || a === "--help") usage();
		else if (a in SECTIONS) sections.push(a);
		else usage(`unknown section or flag '${a}'`);
	}
	return { quick, out, sections: sections.length ? sections : Object.keys(SECTIONS) };
}

function machine(): string {
	const cpu = cpus()[0]?.model ?? "unknown CPU";
	const bt = (() => {
		try {
			return readFileSync("/usr/bin/bpftrace") && "bpftrace 0.17 (Debian)";
		} catch {
			return "no bpftrace";
		}
	})();
	return `${hostname()}: Linux ${release()} x86_64, ${cpus().length} × ${cpu}, ${(totalmem() / 2 ** 30).toFixed(1)} GiB; Node ${process.version}; ${bt}`;
}

/** The commit measured, and whether the work tree had changes (the bundle is built from the work tree). */
function revision(): string {
	try {
		const git = (...a: string[]) => execFileSync("git", ["-C", ROOT, ...a], { encoding: "utf8" }).trim();
		const rev = git("rev-parse", "--short", "HEAD");
		const dirty = git("status", "--porcelain", "--untracked-files=no", "--", "source", "kernel").length > 0;
		return dirty ? `${rev} + uncommitted changes in source/ or kernel/` : rev;
	} catch {
		return "unknown revision";
	}
}

interface Stamp {
	date: string;
	rev: string;
	load: [number, number];
}

function render(r: SectionResult, st: Stamp): string {
	const when =
		`*Measured ${st.date} at ${st.rev}; 1-minute load average ${st.load[0].toFixed(1)} before, ` +
		`${st.load[1].toFixed(1)} after (2 CPUs shared with other work).*`;
	const parts = [`<!-- section:${r.id} -->`, `## ${r.title}`, "", when, "", r.method, "", table(r.rows)];
	for (const a of r.after ?? []) parts.push("", a);
	parts.push(`<!-- /section:${r.id} -->`);
	return parts.join("\n");
}

const HEADER = `# dtop benchmarks

Written by \`scripts/bench\` (\`scripts/bench SECTION\` re-measures one section and keeps the others).
Every figure is the median of at least 3 runs made in one invocation; the peer (bpftrace, or the
baseline named in the row) was measured in the same invocation, interleaved with dtop's runs where
possible. The machine is small and noisy: read the ratios, not the last digit.
`;

function write(file: string, results: [SectionResult, Stamp][]): void {
	const old = existsSync(file) ? readFileSync(file, "utf8") : "";
	const kept = new Map<string, string>();
	for (const m of old.matchAll(/<!-- section:(\w+) -->[\s\S]*?<!-- \/section:\1 -->/g)) kept.set(m[1], m[0]);
	for (const [r, st] of results) kept.set(r.id, render(r, st));
	const order = [
		"firing",
		"attach",
		"list",
		"consumer",
		"memory",
		"ui",
		"startup",
		"stacks",
		"dvars",
		"events",
		"soak",
		"procs",
	];
	const body = order.filter((id) => kept.has(id)).map((id) => kept.get(id)!);
	writeFileSync(file, `${HEADER}\n**Machine:** ${machine()}.\n\n${body.join("\n\n")}\n`);
}

let stopping = false;
async function stop(code: number): Promise<never> {
	if (!stopping) {
		stopping = true;
		const n = liveChildren().length;
		if (n) process.stderr.write(`bench: stopping ${n} child process(es)…\n`);
		await reapAll();
	}
	process.exit(code);
}

async function main(): Promise<void> {
	const { quick, out, sections } = parseArgs(process.argv.slice(2));
	if (process.getuid?.() !== 0) usage("run as root (BPF, uprobes and bpftrace need it)");
	for (const sig of ["SIGINT", "SIGTERM", "SIGHUP"] as const)
		process.on(sig, () => {
			process.stderr.write(`bench: ${sig}\n`);
			void stop(130);
		});
	const results: [SectionResult, Stamp][] = [];
	const t0 = performance.now();
	for (const s of sections) {
		progress(`section ${s}${quick ? " (quick)" : ""}`);
		const date = `${new Date().toISOString().slice(0, 16).replace("T", " ")} UTC`;
		const load0 = loadavg()[0];
		let r: SectionResult;
		try {
			r = await SECTIONS[s]({ quick });
		} catch (e) {
			if (stopping) break;
			process.stderr.write(`bench: section ${s} failed: ${(e as Error).stack ?? e}\n`);
			r = {
				id: s,
				title: TITLES[s] ?? s,
				method: "",
				rows: [],
				after: [`**Not measured:** the section failed: ${(e as Error).message.split("\n")[0]}`],
			};
		}
		results.push([r, { date, rev: revision(), load: [load0, loadavg()[0]] }]);
		await reapAll();
		const left = openObjectList();
		if (left.length) process.stderr.write(`bench: ${left.length} BPF object(s) still open after ${s}\n`);
	}
	progress(`done in ${((performance.now() - t0) / 1000).toFixed(0)} s`);
	if (quick && !out) {
		for (const [r, st] of results) process.stdout.write(`\n${render(r, st)}\n`);
	} else {
		const file = out ?? `${ROOT}BENCHMARKS.md`;
		write(file, results);
		process.stderr.write(`bench: wrote ${file}\n`);
	}
	await stop(0);
}

main().catch(async (e) => {
	process.stderr.write(`bench: ${(e as Error).stack ?? e}\n`);
	await stop(1);
});
