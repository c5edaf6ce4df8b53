// Section 9: what a firing costs that updates a global associative array
// (`a[tid] = timestamp`), or that opens, fills and commits a speculation,
// against bpftrace's map update (`@a[tid] = nsecs`) in the same run. Measured
// as section 1 measures (firing.ts): CPU time of the traced USDT loop per
// firing, the `--count 0` run subtracted, runs interleaved, medians.
import { attachUprobeMulti } from "../../kernel/attach/index.ts";
import { type Around, dtopAround, type Sample, sawLineOffset, simpleOverheadMs, usdtLoop } from "./firing.ts";
import { emptyProgram, startBpftrace } from "./tracers.ts";
import {
	fmt,
	haveBpftrace,
	median,
	progress,
	type Row,
	ratio,
	type SectionResult,
	SIMPLE,
	sleep,
	spread,
} from "./util.ts";

const DESC = "simple$target:::saw-line";
const PROBE = `usdt:${SIMPLE}:simple:saw__line`;
/** Every firing: a speculation, a speculated printf, its commit (nspec as large as dtop keeps). */
const SPEC = `#pragma D option nspec=64
${DESC} { self->s = speculation(); } ${DESC} { speculate(self->s); printf("%d\\n", arg0); } ${DESC} { commit(self->s); }`;

/** dtop around the loop; its output has no aggregation to count (dtopAround's total is not read). */
function dtopNoCount(program: string): Around {
	const inner = dtopAround(program);
	return async (pid) => {
		const stop = await inner(pid);
		return async () => {
			await stop().catch(() => undefined);
			return undefined;
		};
	};
}

function bpftraceMap(): Around {
	return async (pid) => {
		const b = await startBpftrace(`${PROBE} { @a[tid] = nsecs; }`, pid);
		return async () => {
			if (!(await Promise.race([b.child.exited, sleep(30_000).then(() => null)]))) await b.child.interrupt(60_000);
			return undefined;
		};
	};
}

export async function dvars(opts: { quick: boolean }): Promise<SectionResult> {
	const N = opts.quick ? 300_000 : 2_000_000;
	const RUNS = 3;
	const bt = haveBpftrace();
	const offset = sawLineOffset();
	const multi = emptyProgram("uprobe-multi");
	progress("dvars: CPU time of `simple --count 0`");
	const baseMs = await simpleOverheadMs();
	const variants: [string, Around][] = [
		[
			"empty",
			async (pid) => {
				const link = attachUprobeMulti(multi.fd, { path: SIMPLE, pid, sites: [{ offset, cookie: 0n }] });
				return async () => {
					link.close();
					return undefined;
				};
			},
		],
		["dtop assoc", dtopNoCount(`${DESC} { a[tid] = timestamp; }`)],
		["dtop spec", dtopNoCount(SPEC)],
	];
	if (bt) variants.push(["bpftrace map", bpftraceMap()]);
	const results = new Map<string, Sample[]>();
	try {
		for (let r = 0; r < RUNS; r++)
			for (const [k, around] of variants) {
				progress(`dvars: ${k}, run ${r + 1}/${RUNS}, ${N.toLocaleString("en-US")} firings`);
				const s = await usdtLoop(N, baseMs, around);
				if (!results.has(k)) results.set(k, []);
				results.get(k)!.push(s);
			}
	} finally {
		multi.close();
	}
	const cpu = (k: string) => median((results.get(k) ?? []).map((x) => x.cpu));
	const note = (k: string) =>
		`CPU ${spread(
			(results.get(k) ?? []).map((x) => x.cpu),
			"",
		)}`;
	const rows: Row[] = [
		{
			what: "USDT, empty BPF program (the floor)",
			dtop: fmt(cpu("empty"), "ns"),
			peer: "",
			ratio: "",
			notes: note("empty"),
		},
		{
			what: "`a[tid] = timestamp` (bpftrace `@a[tid] = nsecs`)",
			dtop: fmt(cpu("dtop assoc"), "ns"),
			peer: bt ? fmt(cpu("bpftrace map"), "ns") : "bpftrace missing",
			ratio: bt ? ratio(cpu("dtop assoc"), cpu("bpftrace map")) : "",
			notes: `dtop ${note("dtop assoc")}; bpftrace ${bt ? note("bpftrace map") : "-"}`,
		},
		{
			what: "speculation() + speculate() + printf + commit() per firing",
			dtop: fmt(cpu("dtop spec"), "ns"),
			peer: bt ? fmt(cpu("bpftrace map"), "ns") : "",
			ratio: bt ? ratio(cpu("dtop spec"), cpu("bpftrace map")) : "",
			notes: `dtop ${note("dtop spec")}; the peer is bpftrace's map update (it has no speculations)`,
		},
	];
	return {
		id: "dvars",
		title: "9. Variables and speculations per firing",
		method:
			`As section 1: \`test/fixtures/bin/simple --count ${N.toLocaleString("en-US")}\`, CPU time of the traced process per ` +
			"firing, the `--count 0` run subtracted; dtop as `dtop --json -p PID -n CLAUSE`, bpftrace as `bpftrace -p PID -e …`. " +
			'The speculation row runs three clauses on `saw-line` (`self->s = speculation();`, `speculate(self->s); printf("%d\\n", arg0);`, ' +
			"`commit(self->s);`) with nspec=64: a firing whose ids are all still busy (committed, not yet read by the consumer) " +
			`takes the failed-speculation path, so the row is the cost of the mix a tight loop gets. ${RUNS} runs each, interleaved; medians.`,
		rows,
	};
}
