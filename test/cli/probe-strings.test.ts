// probeprov, probemod, probefunc and probename as string values (DTrace's
// strjoin(probeprov, probename), substr(probename, ...)): the firing probe's names.
import assert from "node:assert/strict";
import { test } from "node:test";
import { runDtop } from "../helpers/cli.ts";

test("probe names as strings in strjoin, substr and a variable, the firing probe's", async () => {
	const r = await runDtop([
		"-q",
		"-n",
		'BEGIN { s = strjoin(strjoin(probeprov, ":"), probename); printf("%s %s %d\\n", s, substr(probename, 1, 3), strlen(probefunc)); exit(0); }',
	]);
	assert.equal(r.code, 0, r.stderr);
	assert.equal(r.stdout, "dtrace:BEGIN EGI 0\n\n");
});
