// The few WebAssembly APIs the demangler and the xz decoder use. Node has them
// as globals; TypeScript declares them only in its DOM library, which this
// project does not load.

export interface WasmMemory {
	readonly buffer: ArrayBuffer;
}

export interface WasmInstance {
	readonly exports: Record<string, unknown>;
}

export type WasmModule = object;

interface WasmApi {
	Module: new (bytes: Uint8Array) => WasmModule;
	Instance: new (module: WasmModule, imports: Record<string, Record<string, unknown>>) => WasmInstance;
}

export const Wasm = (globalThis as unknown as { WebAssembly: WasmApi }).WebAssembly;
