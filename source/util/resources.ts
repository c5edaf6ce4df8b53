// Files dtop needs at run time besides its code, found the same way in the three
// forms it runs in: a checkout (source/ under tsx, or the bundle in build/), the
// npm package (build/ and dist/package/ in the installed package), and the single
// executable (the same layout, unpacked into its private directory).
import { existsSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

let root: string | undefined;

/** The directory holding dtop's package.json, found upwards from the running code. */
export function dtopRoot(): string {
	if (root) return root;
	let dir = dirname(fileURLToPath(import.meta.url));
	for (let i = 0; i < 6; i++) {
		const pkg = join(dir, "package.json");
		if (existsSync(pkg) && /"name"\s*:\s*"dtop"/.test(readFileSync(pkg, "utf8"))) return (root = dir);
		dir = dirname(dir);
	}
	throw new Error("cannot find dtop's package.json above the running code; reinstall dtop.");
}

/** Node's name for this machine's architecture, as in the package's file names (x64, arm64). */
export function archName(): string {
	return process.arch;
}

/**
 * The `--demo` program: the checkout's fixture when it has been built, else the
 * copy built for this architecture by scripts/package (in the npm package and the
 * single executable).
 */
export function demoProgram(): string {
	const base = dtopRoot();
	const candidates = [
		join(base, "test/fixtures/bin/simple"),
		join(base, `dist/package/demo/linux-${archName()}/simple`),
	];
	const found = candidates.find((p) => existsSync(p));
	if (!found) {
		throw new Error(
			`the --demo program is not in this installation (looked for ${candidates.join(" and ")}); in a checkout run scripts/setup.`,
		);
	}
	return found;
}
