// Preloaded into a dtop run (NODE_OPTIONS=--require=…): at exit, writes the
// built-in modules Node loaded (process.moduleLoadList) to DTOP_MODULE_LIST_OUT.
"use strict";
process.on("exit", () => {
	const loaded = process.moduleLoadList.filter((m) => m.startsWith("NativeModule ")).map((m) => m.slice(13));
	require("node:fs").writeFileSync(process.env.DTOP_MODULE_LIST_OUT, loaded.join("\n"));
});
