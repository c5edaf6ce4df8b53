// The atomic-update decision: by nesting class, and always on preemptible kernels.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { test } from "node:test";
import { fileURLToPath } from "node:url";

const INDEX = fileURLToPath(new URL("../../../source/providers/index.ts", import.meta.url));
const PROBE = (kind: string, target: object) =>
	JSON.stringify({ id: 1, provider: kind, module: "", function: "", name: "", target: { kind, ...target } });

/** needsAtomic() over these probes, decided in a fresh process with `env` (the preemption answer is cached). */
function decide(probes: string[], env: Record<string, string>): boolean {
	const code = `import { needsAtomic } from ${JSON.stringify(INDEX)}; process.stdout.write(String(needsAtomic([[${probes.join(",")}]])));`;
	const out = execFileSync(process.execPath, ["--import", "tsx", "--input-type=module", "-e", code], {
		encoding: "utf8",
		env: { ...process.env, ...env },
	});
	return out.trim() === "true";
}

const uprobe = PROBE("uprobe", { path: "/bin/true", offset: "0", ret: false });
const syscall = PROBE("syscall", { nr: 39, ret: false });
const profile = PROBE("profile", { hz: 99 });
const tracepoint = PROBE("tracepoint", { group: "irq_vectors", event: "local_timer_entry", id: 1 });

test("one class that does not nest: plain adds, unless the kernel preempts programs", () => {
	assert.equal(decide([uprobe], { DTOP_ASSUME_PREEMPTIBLE: "0" }), false);
	assert.equal(decide([uprobe], { DTOP_ASSUME_PREEMPTIBLE: "1" }), true);
});

test("two classes, or a class that interrupts itself: atomic adds on any kernel", () => {
	assert.equal(decide([uprobe, syscall], { DTOP_ASSUME_PREEMPTIBLE: "0" }), true);
	assert.equal(decide([profile], { DTOP_ASSUME_PREEMPTIBLE: "0" }), true);
	// Raw tracepoint programs of one enabling run nested (an interrupt's tracepoint inside a task's).
	assert.equal(decide([tracepoint], { DTOP_ASSUME_PREEMPTIBLE: "0" }), true);
});
