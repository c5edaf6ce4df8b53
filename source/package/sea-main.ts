// The single executable's entry point (bundled by scripts/packaging/sea.ts into
// the executable with its assets): unpack the files that must be on disk into
// the checked private directory, point the code that finds files beside itself
// (import.meta.url, replaced by globalThis.__dtopUrl in this bundle) there, and run.
// First: V8 flags that must be set before anything else runs.
import "./sea-flags.ts";
import { join } from "node:path";
import { getAsset } from "node:sea";
import { pathToFileURL } from "node:url";
import { runCli } from "../app/run.ts";
import { ensureUnpacked, UnpackError, unpackBase } from "./unpack.ts";

export interface Manifest {
	/** `VERSION-HASH`: the directory's name, new for every build. */
	id: string;
	files: { path: string; size: number; mode: number }[];
}

const manifest = JSON.parse(getAsset("manifest.json", "utf8")) as Manifest;
try {
	const dir = ensureUnpacked(
		unpackBase(),
		manifest.id,
		manifest.files.map((f) => ({ ...f, data: () => new Uint8Array(getAsset(f.path)) })),
	);
	(globalThis as { __dtopUrl?: string }).__dtopUrl = pathToFileURL(join(dir, "build", "cli.js")).href;
} catch (e) {
	if (!(e instanceof UnpackError)) throw e;
	process.stderr.write(`dtop: ${e.message}\n`);
	process.exit(1);
}
runCli(process.argv.slice(2));
