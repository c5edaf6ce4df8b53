#!/usr/bin/env -S -u NODE_EXTRA_CA_CERTS node --v8-pool-size=1 --single-threaded --max-semi-space-size=1
// dtop's entry point (the checkout's and the npm package's): run the command line.
// The line above is the npm package's bin (esbuild keeps it): the same node
// flags as scripts/dtop (which says why), and no CA bundle read at every start.
import { runCli } from "./app/run.ts";

const invoked = process.argv[1] ?? "";
if (/(?:^|\/)(?:cli\.(?:ts|js|mjs)|dtop)$/.test(invoked)) runCli(process.argv.slice(2));
