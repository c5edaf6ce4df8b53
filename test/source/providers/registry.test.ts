// The provider registry walked member by member: every provider supplies what
// the catalog (list, info, onDemand, whyNot), the session (targets and the
// whole TargetProvider) and `-l`/`k` (describe, json, args) call, and every
// probe the real catalog holds has a provider that describes it and one that
// attaches what it traces. A provider missing a member fails here, not in a run.
import assert from "node:assert/strict";
import { test } from "node:test";
import { Catalog, type PidProbe, type Probe, type UsdtProbe } from "../../../source/catalog/index.ts";
import {
	type AnyProbeKindModule,
	type AnyTargetProvider,
	kindOf,
	PROBE_KINDS,
	PROVIDERS,
	providerOf,
	STATIC_PROVIDERS,
} from "../../../source/providers/index.ts";

/** What a ProbeKindModule must have, and what it may have (each a function when present). */
const KIND_REQUIRED = ["targets", "describe", "args"] as const;
const KIND_OPTIONAL = ["info", "list", "whyNot", "json", "argNotes", "onFile"] as const;
/** What the session calls of a TargetProvider. */
const TARGET_REQUIRED = ["identity", "groupKey", "context", "load", "attach"] as const;
const TARGET_OPTIONAL = ["unavailable", "groupMaps"] as const;

function checkKind(k: AnyProbeKindModule): void {
	const where = `probe kind ${String(k.kind)}`;
	assert.equal(typeof k.kind, "string", `${where}: kind`);
	for (const m of KIND_REQUIRED) assert.equal(typeof k[m], "function", `${where}: ${m}() missing`);
	for (const m of KIND_OPTIONAL)
		if (k[m] !== undefined) assert.equal(typeof k[m], "function", `${where}: ${m} is not a function`);
	if (k.onDemand) {
		assert.ok(Array.isArray(k.onDemand.listed), `${where}: onDemand.listed`);
		assert.equal(typeof k.onDemand.named, "function", `${where}: onDemand.named()`);
		assert.equal(typeof k.onDemand.make, "function", `${where}: onDemand.make()`);
		if (k.onDemand.fromWord !== undefined)
			assert.equal(typeof k.onDemand.fromWord, "function", `${where}: onDemand.fromWord()`);
	}
	// How the interactive tree shows it (app/tree-source.ts reads nothing else of it).
	if (k.tree) {
		if (k.tree.hint !== undefined) assert.equal(typeof k.tree.hint, "string", `${where}: tree.hint`);
		if (k.tree.group !== undefined) assert.equal(typeof k.tree.group, "function", `${where}: tree.group()`);
		if (k.tree.lazy !== undefined) {
			assert.equal(typeof k.tree.lazy.row, "string", `${where}: tree.lazy.row`);
			assert.ok(k.tree.lazy.names.length > 0, `${where}: tree.lazy.names`);
		}
	}
	// A provider that lists its own probes shows a row and lists or makes them.
	if (k.provider !== undefined) {
		assert.equal(typeof k.provider, "string", `${where}: provider`);
		assert.equal(typeof k.info, "function", `${where}: a listing provider needs info()`);
		assert.ok(k.list || k.onDemand, `${where}: a listing provider needs list() or onDemand`);
	}
}

function checkTarget(t: AnyTargetProvider): void {
	const where = `target ${String(t.kind)}`;
	assert.equal(typeof t.kind, "string", `${where}: kind`);
	assert.equal(typeof t.nesting, "string", `${where}: nesting`);
	assert.equal(typeof t.nests, "boolean", `${where}: nests`);
	for (const m of TARGET_REQUIRED) assert.equal(typeof t[m], "function", `${where}: ${m}() missing`);
	for (const m of TARGET_OPTIONAL)
		if (t[m] !== undefined) assert.equal(typeof t[m], "function", `${where}: ${m} is not a function`);
}

test("every provider in the registry supplies every member the catalog, session and -l call", () => {
	assert.ok(PROVIDERS.length >= 6);
	const kinds = new Set<string>();
	const targets = new Set<string>();
	for (const p of PROVIDERS) {
		assert.ok(Array.isArray(p.probes), "a provider's probes");
		assert.ok(p.probes.length > 0 || p.target, "a provider describes probes or attaches a kind of target");
		for (const k of p.probes) {
			checkKind(k);
			assert.ok(!kinds.has(k.kind), `probe kind ${k.kind} registered twice`);
			kinds.add(k.kind);
		}
		if (p.target) {
			checkTarget(p.target);
			assert.ok(!targets.has(p.target.kind), `target ${p.target.kind} registered twice`);
			targets.add(p.target.kind);
		}
	}
	// Today's providers are all there (a new one adds to these).
	for (const k of ["dtrace", "fbt", "profile", "syscall", "tracepoint", "uprobe", "usdt"]) assert.ok(kinds.has(k), k);
	for (const t of ["dtrace", "fbt", "profile", "syscall", "tracepoint", "uprobe"]) assert.ok(targets.has(t), t);
	assert.equal(PROBE_KINDS.length, kinds.size);
	// The static providers, DTrace's first and in its order (their ids and rows follow it).
	assert.deepEqual(STATIC_PROVIDERS.slice(0, 5), ["dtrace", "syscall", "sdt", "profile", "fbt"]);
});

/** A USDT probe and a pid probe as the catalog makes them for a process (the catalog finds those in processes). */
const site = { path: "/bin/true", openPath: "/bin/true", dev: 1, inode: 2, pcOffset: 0x40, semaphoreOffset: 0 };
const usdt: UsdtProbe = {
	id: 900001,
	provider: "simple4242",
	module: "true",
	function: "main",
	name: "ping",
	kind: "usdt",
	pid: 4242,
	usdtProvider: "simple",
	usdtName: "ping",
	sites: [{ ...site, args: "-4@%edi 8@%rsi" }],
};
const pid: PidProbe = {
	id: 900002,
	provider: "pid4242",
	module: "true",
	function: "main",
	name: "return",
	kind: "uprobe",
	pid: 4242,
	which: "return",
	path: "/bin/true",
	openPath: "/bin/true",
	dev: 1,
	inode: 2,
	offset: 0x40,
	symbol: "main",
};

test("every probe of the real catalog has a provider describing it and one attaching what it traces", () => {
	const catalog = new Catalog({ usdt: false, live: false });
	try {
		const env = catalog.env();
		const sample = new Map<string, Probe>();
		for (const p of catalog.probes()) if (!sample.has(p.kind)) sample.set(p.kind, p);
		sample.set("usdt", usdt);
		sample.set("uprobe", pid);
		// Every kind is walked: a listing provider's probes are in the catalog (fbt's where the kernel allows it).
		for (const k of PROBE_KINDS)
			assert.ok(sample.has(k.kind) || (k.kind === "fbt" && !catalog.fbt.available), `no ${k.kind} probe to walk`);
		for (const p of sample.values()) {
			const k = kindOf(p);
			assert.equal(k.kind, p.kind);
			const traced = k.targets(p, env);
			assert.ok(traced.length > 0, `${p.kind}: no trace probe`);
			for (const t of traced) {
				assert.deepEqual(
					[t.id, t.provider, t.module, t.function, t.name],
					[p.id, p.provider, p.module, p.function, p.name],
				);
				assert.equal(providerOf(t).kind, t.target.kind, `${p.kind}: its target ${t.target.kind} has no provider`);
			}
			assert.ok(
				k.describe(p).every((l) => typeof l === "string"),
				`${p.kind}: describe()`,
			);
			const a = k.args(p);
			assert.ok(
				Array.isArray(a.args) && Array.isArray(a.strings) && typeof a.kernel === "boolean",
				`${p.kind}: args()`,
			);
		}
		// Each listing provider's row, in registry order.
		assert.deepEqual(
			catalog.providers().map((r) => r.name),
			STATIC_PROVIDERS,
		);
	} finally {
		catalog.close();
	}
});

test("an unknown kind of probe is refused by name, not by a crash further on", () => {
	assert.throws(() => kindOf("nosuch" as Probe["kind"]), /no provider describes nosuch probes/);
	const stray = { id: 1, provider: "x", module: "", function: "", name: "", target: { kind: "nosuch" } };
	assert.throws(() => providerOf(stray as never), /no provider attaches nosuch probes/);
});
