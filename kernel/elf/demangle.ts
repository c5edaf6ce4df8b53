// Demangling of C++ (Itanium ABI) and Rust (legacy and v0) symbol names, for
// stack frames, `-l` function names and probefunc keys.
//
// The demangler is the npm package gecko-profiler-demangle (the Firefox
// profiler's: Rust's cpp_demangle and rustc-demangle compiled to WASM). It was
// chosen over `demangle` (an Emscripten build of 2015's libc++abi: C++ only, no
// Rust) and `demangler-js` (pure JS: ran out of a 4 GB heap on libstdc++'s
// names); the comparison with binutils' c++filt is in test/kernel/elf/demangle.test.ts.
//
// The package is built for bundlers (`import "./index_bg.wasm"`), which Node 20
// cannot import, so the module is instantiated here from its own files.
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import * as glue from "gecko-profiler-demangle/index_bg.js";
import { Wasm, type WasmModule } from "./wasm.ts";

let compiled: WasmModule | undefined;
let ready = false;

function start(): void {
	if (!compiled) {
		const path = createRequire(import.meta.url).resolve("gecko-profiler-demangle/index_bg.wasm");
		compiled = new Wasm.Module(readFileSync(path));
	}
	const instance = new Wasm.Instance(compiled, { "./index_bg.js": glue as unknown as Record<string, unknown> });
	glue.__wbg_set_wasm(instance.exports);
	(instance.exports.__wbindgen_start as () => void)();
	ready = true;
}

/** Names longer than this are shown raw: no real symbol is this long, and the demangler's time grows with it. */
const MAX_MANGLED = 16_384;

/** Whether `name` is in a mangling scheme the demangler knows (Itanium `_Z`, Rust v0 `_R`; Rust legacy is `_ZN…E`). */
export function isMangled(name: string): boolean {
	return name.length > 2 && name.length <= MAX_MANGLED && (name.startsWith("_Z") || name.startsWith("_R"));
}

/**
 * The human-readable form of a mangled C++ or Rust name; any other name (C
 * functions, `_start`, names that do not parse) is returned unchanged.
 * C++ names come without the return type of template functions and Rust names
 * without hashes and crate disambiguators, which keeps stack frames short.
 * Clone suffixes GCC adds (`.cold`, `.part.0`, `.isra.0`) are kept.
 */
export function demangle(name: string): string {
	if (!isMangled(name)) return name;
	if (!ready) start();
	let out: string;
	try {
		out = glue.demangle_any(name);
	} catch {
		// A trap inside the WASM (the demangler panicking on a hostile name aborts
		// it): the instance may be inconsistent, so the next call gets a new one.
		ready = false;
		return name;
	}
	// On failure the package returns the name, or the name without its first
	// underscore: neither is a demangled name.
	if (out === name || out === name.slice(1) || out.length === 0) return name;
	return out;
}

/** A demangler for a symbolizer: `demangle`, or the identity with `-x nodemangle`. */
export function demanglerFor(options: { nodemangle?: boolean } = {}): (name: string) => string {
	return options.nodemangle ? (n) => n : demangle;
}
