// Runs a packaged dtop with test/helpers/heap-probe.cjs preloaded and returns
// what it saw: the young generation's largest size and the node flags in force.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const PROBE = fileURLToPath(new URL("heap-probe.cjs", import.meta.url));

/** Two semi-spaces of 1 MB: what --max-semi-space-size=1 allows (V8 reports both). */
export const YOUNG_GENERATION_CAP = 2 << 20;

export interface HeapSeen {
	/** Bytes: the new space's largest size during the run. */
	newSpace: number;
	execArgv: string[];
	/** NODE_EXTRA_CA_CERTS as dtop's process saw it. */
	caCerts?: string;
}

export function heapProbe(cmd: string, args: string[], opts: { cwd: string; env: NodeJS.ProcessEnv }): HeapSeen {
	const dir = mkdtempSync(join(tmpdir(), "dtop-heap-"));
	try {
		const out = join(dir, "seen.json");
		const r = spawnSync(cmd, args, {
			cwd: opts.cwd,
			encoding: "utf8",
			timeout: 60_000,
			maxBuffer: 256 << 20,
			env: { ...opts.env, NODE_OPTIONS: `--require=${PROBE}`, DTOP_HEAP_PROBE_OUT: out },
		});
		assert.equal(r.status, 0, r.stderr);
		return JSON.parse(readFileSync(out, "utf8")) as HeapSeen;
	} finally {
		rmSync(dir, { recursive: true, force: true });
	}
}
