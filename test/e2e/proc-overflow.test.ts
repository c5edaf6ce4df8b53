// A process-event ring the kernel overflows is shown in the header (counted;
// each overflow answered by a /proc rescan). The ring is made one page small
// (DTOP_PROC_RING_BYTES) so a burst of 300 processes overflows it.
import { spawnSync } from "node:child_process";
import { test } from "node:test";
import { sleep, startDtop } from "../helpers/pty.ts";

test("the header shows process-event overflows once there are some", async () => {
	const s = startDtop([], { cols: 160, rows: 30, env: { DTOP_PROC_RING_BYTES: "4096" } });
	try {
		await s.waitFor(/^dtop\s.*tick/m, 30000);
		await sleep(500);
		spawnSync("bash", ["-c", "for i in $(seq 300); do /bin/true; done"], { stdio: "ignore" });
		await s.waitFor(/proc overflows [1-9]/, 10000);
	} finally {
		s.kill();
	}
});
