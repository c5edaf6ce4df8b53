// A probe description's module field against a shared object's name. DTrace
// (libproc's object lookup) also takes the name without its version suffix:
// `pid$target:libc.so:malloc:entry` enables malloc in libc.so.6 (and
// libstdc++.so matches libstdc++.so.6.0.33). The probe keeps the object's full
// name (probemod is libc.so.6). A name without ".so" (`libc`) is not the object.
import { compileGlob } from "./glob.ts";

/** `libc.so.6` → `libc.so`; names without a numeric suffix after `.so` are returned as they are. */
export function withoutVersion(module: string): string {
	const m = /^(.+\.so)(?:\.\d+)+$/.exec(module);
	return m ? m[1]! : module;
}

/** The module field's glob, matching an object's name with or without its version suffix. */
export function compileModule(pattern: string): (module: string) => boolean {
	const g = compileGlob(pattern);
	return (m) => {
		if (g(m)) return true;
		const bare = withoutVersion(m);
		return bare !== m && g(bare);
	};
}
