// Preloaded into a packaged dtop with NODE_OPTIONS=--require=THIS (Node
// allows --require there, not its --trace-gc flags): at exit, writes the
// young generation's largest size seen and the node flags of the run to the
// file named by DTOP_HEAP_PROBE_OUT, so a test can tell whether dtop's node
// flags (--max-semi-space-size=1, or the single executable's equivalent) took effect.
"use strict";
const v8 = require("node:v8");
const fs = require("node:fs");

const out = process.env.DTOP_HEAP_PROBE_OUT;
const caCerts = process.env.NODE_EXTRA_CA_CERTS;
delete process.env.DTOP_HEAP_PROBE_OUT;
delete process.env.NODE_OPTIONS; // not for the processes dtop starts
let largest = 0;
const sample = () => {
	const s = v8.getHeapSpaceStatistics().find((x) => x.space_name === "new_space");
	if (s && s.space_size > largest) largest = s.space_size;
};
const timer = setInterval(sample, 5);
timer.unref();
process.on("exit", () => {
	sample();
	if (out) fs.writeFileSync(out, JSON.stringify({ newSpace: largest, execArgv: process.execArgv, caCerts: caCerts }));
});
