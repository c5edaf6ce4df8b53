#!/usr/bin/env node
// dtop's entry point (the checkout's and the npm package's): run the command line.
import { runCli } from "./app/run.ts";

const invoked = process.argv[1] ?? "";
if (/(?:^|\/)(?:cli\.(?:ts|js|mjs)|dtop)$/.test(invoked)) runCli(process.argv.slice(2));
