// cgroup v2 directories a test makes (no container runtime): made, filled with
// processes, and removed again once those processes are gone.
import assert from "node:assert/strict";
import { mkdirSync, readFileSync, rmdirSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";

/** Where cgroup v2 is mounted (/sys/fs/cgroup, or /sys/fs/cgroup/unified on a hybrid system). */
export function cgroup2Root(): string {
	const line = readFileSync("/proc/mounts", "utf8")
		.split("\n")
		.find((l) => l.split(" ")[2] === "cgroup2");
	assert.ok(line, "cgroup v2 is mounted");
	return line.split(" ")[1]!;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export class TestCgroups {
	readonly root = cgroup2Root();
	readonly made: string[] = [];

	/** Make ROOT/rel (and its parents); its absolute path. */
	make(rel: string): string {
		const parts = rel.split("/");
		for (let i = 1; i <= parts.length; i++) {
			const d = join(this.root, ...parts.slice(0, i));
			try {
				mkdirSync(d);
				this.made.push(d);
			} catch (e) {
				if ((e as NodeJS.ErrnoException).code !== "EEXIST") throw e;
			}
		}
		return join(this.root, rel);
	}

	move(dir: string, pid: number): void {
		writeFileSync(join(dir, "cgroup.procs"), `${pid}\n`);
	}

	id(dir: string): bigint {
		return statSync(dir, { bigint: true }).ino;
	}

	/** Remove what was made, deepest first (after the processes in it exited). */
	async remove(): Promise<void> {
		for (const d of [...this.made].reverse()) {
			for (let i = 0; i < 50; i++) {
				try {
					rmdirSync(d);
					break;
				} catch (e) {
					if ((e as NodeJS.ErrnoException).code === "ENOENT") break;
					await sleep(20);
				}
			}
		}
	}
}
