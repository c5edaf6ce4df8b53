// Types of the package's wasm-bindgen glue (it ships types only for its bundler entry point).
declare module "gecko-profiler-demangle/index_bg.js" {
	export function __wbg_set_wasm(exports: unknown): void;
	export function demangle_any(name: string): string;
}
