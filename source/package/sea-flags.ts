// The single executable's V8 flags, set before any of dtop's modules is
// evaluated (sea-main.ts imports this first). scripts/dtop and the npm
// package's bin start node with --v8-pool-size=1 --single-threaded
// --max-semi-space-size=1 (scripts/dtop says why: the idle UI's system calls).
// A Node 20 single executable takes no node flags (its configuration has no
// execArgv), and V8 fixes the young generation's maximum when it makes the
// heap: setFlagsFromString("--max-semi-space-size=1") changes nothing (measured:
// the new space still grows to 16 MB). What V8 reads when it collects is set
// here instead: a growth factor of 1 keeps the young generation at its initial
// 1 MB semi-spaces (measured: 2 MB of new space, as with the flag). The other
// two cannot be had at run time: the worker pool is made before any script
// runs, and turning concurrent marking off after the heap is made aborts V8
// (measured: "Check failed: concurrent_marking_handle_" in cppgc's marker).
import { setFlagsFromString } from "node:v8";

export const SEA_V8_FLAGS = ["--semi-space-growth-factor=1"] as const;

if (!process.env.DTOP_SEA_DEFAULT_FLAGS) for (const f of SEA_V8_FLAGS) setFlagsFromString(f);
