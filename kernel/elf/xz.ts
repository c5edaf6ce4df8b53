// Synchronous .xz decompression, for MiniDebugInfo (`.gnu_debugdata`: an
// xz-compressed ELF holding the symbol table of a stripped binary).
//
// The decoder is xz-embedded compiled to WASM, as shipped by the npm package
// xz-decompress. The package only offers an asynchronous web stream, and
// symbolizing a stack frame is synchronous, so its WASM module (embedded in the
// package's bundle as a data: URL) is driven here directly through the four
// functions it exports (create_context, supply_input, get_next_output,
// destroy_context) — the same protocol the package's own stream uses. The
// version is pinned in package.json; a test decompresses real `xz` output.
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { Wasm, type WasmMemory, type WasmModule } from "./wasm.ts";

export class XzError extends Error {
	constructor(message: string, options?: { cause?: unknown }) {
		super(message, options);
		this.name = "XzError";
	}
}

interface XzExports {
	memory: WasmMemory;
	create_context(): number;
	destroy_context(ctx: number): void;
	supply_input(ctx: number, length: number): void;
	get_next_output(ctx: number): number;
}

const XZ_OK = 0;
const XZ_STREAM_END = 1;
// xz-embedded's xz_ret values, in order from XZ_UNSUPPORTED_CHECK (2), for the message.
const REASONS = [
	"unsupported integrity check",
	"out of memory",
	"the dictionary is larger than allowed",
	"not xz data (bad magic)",
	"unsupported xz options (a check other than CRC32/CRC64, or a filter xz-embedded lacks)",
	"the compressed data is corrupt",
	"the compressed data is truncated or corrupt",
];

let compiled: WasmModule | undefined;

function wasmModule(): WasmModule {
	if (compiled) return compiled;
	const bundle = readFileSync(createRequire(import.meta.url).resolve("xz-decompress"), "utf8");
	const m = /data:application\/wasm;base64,([A-Za-z0-9+/=]+)/.exec(bundle);
	if (!m) throw new XzError("the xz decoder's WASM module was not found in the xz-decompress package; run npm ci.");
	compiled = new Wasm.Module(Buffer.from(m[1], "base64"));
	return compiled;
}

export interface XzLimits {
	/** Most bytes of output accepted; more is an error (default 256 MiB). */
	maxOutput?: number;
	/** Most bytes of WASM memory the decoder may grow to (its dictionary and buffers; default 320 MiB). */
	maxMemory?: number;
}

/**
 * Decompresses a whole .xz stream. Throws XzError for data that is not xz,
 * is corrupt or truncated, or would decompress past the limits. Each call has
 * its own WASM instance, so the memory a stream needed is freed with it.
 */
export function xzDecompress(input: Uint8Array, limits: XzLimits = {}): Buffer {
	const maxOutput = limits.maxOutput ?? 256 << 20;
	const maxMemory = limits.maxMemory ?? 320 << 20;
	let ex: XzExports;
	try {
		ex = new Wasm.Instance(wasmModule(), {}).exports as unknown as XzExports;
	} catch (err) {
		if (err instanceof XzError) throw err;
		throw new XzError(`the xz decoder could not start (${(err as Error).message})`, { cause: err });
	}
	const ctx = ex.create_context();
	const view = () => new Uint32Array(ex.memory.buffer, ctx, 6);
	// Context layout (see the package): [0] buffer size, [1] input buffer,
	// [2] input position, [3] input size, [4] output buffer, [5] output position.
	const header = view();
	const bufSize = header[0];
	const inPtr = header[1];
	const outPtr = header[4];
	const chunks: Buffer[] = [];
	let produced = 0;
	let fed = 0;
	let stalls = 0;
	let ended = false;
	try {
		for (;;) {
			let h = view();
			if (h[2] === h[3] && !ended) {
				// Supplying zero bytes tells the decoder the input has ended (it
				// accepts concatenated streams, so it cannot know otherwise).
				const n = Math.min(bufSize, input.length - fed);
				new Uint8Array(ex.memory.buffer, inPtr, n).set(input.subarray(fed, fed + n));
				ex.supply_input(ctx, n);
				fed += n;
				ended = n === 0;
			}
			const before = view()[2];
			let result: number;
			try {
				result = ex.get_next_output(ctx);
			} catch (err) {
				throw new XzError(`the xz decoder failed (${(err as Error).message})`, { cause: err });
			}
			if (ex.memory.buffer.byteLength > maxMemory) {
				throw new XzError(`the xz data needs more than ${maxMemory >> 20} MiB to decompress`);
			}
			h = view();
			const outLen = h[5];
			if (outLen > 0) {
				produced += outLen;
				if (produced > maxOutput) throw new XzError(`the xz data decompresses to more than ${maxOutput >> 20} MiB`);
				chunks.push(Buffer.from(new Uint8Array(ex.memory.buffer, outPtr, outLen)));
				h[5] = 0;
			}
			if (result === XZ_STREAM_END) break;
			if (result !== XZ_OK)
				throw new XzError(`the xz data cannot be decompressed: ${REASONS[result - 2] ?? `error ${result}`}`);
			// No input consumed and no output made after the end of the input: the
			// stream is truncated. (A guard: xz-embedded reports this itself.)
			if (outLen === 0 && h[2] === before && ended) {
				if (++stalls >= 2) throw new XzError("the xz data is truncated (the stream ends early)");
			} else {
				stalls = 0;
			}
		}
	} finally {
		ex.destroy_context(ctx);
	}
	return Buffer.concat(chunks, produced);
}
