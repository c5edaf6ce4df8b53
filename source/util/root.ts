// The checkout's root directory, found from this module's location: the code
// runs both from source/ (tsx) and from the bundle's build/ and build/chunks/.
import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

let root: string | undefined;

export function projectRoot(): string {
	if (root) return root;
	let dir = dirname(fileURLToPath(import.meta.url));
	for (let i = 0; i < 6; i++) {
		if (existsSync(join(dir, "package.json")) && existsSync(join(dir, "scripts", "setup"))) return (root = dir);
		dir = dirname(dir);
	}
	throw new Error("cannot find dtop's checkout (package.json with scripts/setup) above the running code.");
}
