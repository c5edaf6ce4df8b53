// An enabling's D variables as the Detail pane shows them: every global scalar
// (`name = value`, read from the one globals value) and every global
// associative array (its elements as key → value rows, read from its hash
// map). Read at each tick with the aggregations; an array shows at most
// MAX_ELEMENTS elements and says how many it has.
import type { BpfMap } from "../../kernel/bpf/index.ts";
import type { KeyField } from "../../kernel/codegen/ir.ts";
import type { IntType } from "../d/types.ts";
import type { VarState } from "./vars.ts";
import type { KeyPart, VariableView } from "./view.ts";

/** Elements of one associative array shown (the map may hold a million). */
export const MAX_ELEMENTS = 200;

const INT64: IntType = { size: 8, signed: true } as IntType;

/** An integer as its D type reads it (size and sign). */
function readInt(buf: Buffer, at: number, t: IntType | undefined): bigint {
	const raw = buf.readBigUInt64LE(at);
	const size = t?.size ?? 8;
	return t?.signed === false ? BigInt.asUintN(size * 8, raw) : BigInt.asIntN(size * 8, raw);
}

function readStr(buf: Buffer, at: number, size: number): string {
	const end = buf.indexOf(0, at);
	const stop = end < 0 || end > at + size ? at + size : end;
	return buf.toString("utf8", at, stop);
}

function decodeKeys(fields: readonly KeyField[], key: Buffer): KeyPart[] {
	const out: KeyPart[] = [];
	let o = 0;
	for (const f of fields) {
		if (f.k === "str") {
			out.push({ kind: "string", value: readStr(key, o, f.size) });
			o += f.size;
		} else {
			out.push({ kind: "int", value: key.readBigInt64LE(o) });
			o += 8;
		}
	}
	return out;
}

function readAssoc(
	name: string,
	a: { map: BpfMap; keys: KeyField[]; valueSize: number },
	v: VarState,
): VariableView & { kind: "assoc" } {
	const raw = a.map.batchLookupRaw();
	const string = v.strings.has(`assoc:${name}`);
	const type = v.types.get(`assoc:${name}`);
	const elements: { key: KeyPart[]; value: KeyPart }[] = [];
	for (let i = 0; i < raw.count && elements.length < MAX_ELEMENTS; i++) {
		const key = raw.keys.subarray(i * raw.keyStride, i * raw.keyStride + raw.keyStride);
		const at = i * raw.valueStride;
		const value: KeyPart = string
			? { kind: "string", value: readStr(raw.values, at, a.valueSize) }
			: { kind: "int", value: readInt(raw.values, at, type) };
		elements.push({ key: decodeKeys(a.keys, key), value });
	}
	// Numbers largest first (a[execname] = count-like use); strings by key.
	elements.sort((x, y) =>
		x.value.kind === "int" && y.value.kind === "int"
			? Number(y.value.value - x.value.value)
			: String(x.key.map((k) => (k.kind === "stack" ? "" : k.value))).localeCompare(
					String(y.key.map((k) => (k.kind === "stack" ? "" : k.value))),
				),
	);
	return { kind: "assoc", name, count: raw.count, elements };
}

/**
 * The variables of an enabling, globals first (in the order the program names
 * them), then the associative arrays made so far (an array no clause has
 * stored into yet has no map and is not shown).
 */
export function readVariables(v: VarState): VariableView[] {
	const out: VariableView[] = [];
	if (v.globals.size) {
		const value = v.globalsMap?.lookup(Buffer.alloc(4));
		if (!value) out.push({ kind: "error", text: "the global variables could not be read (no map)" });
		else {
			const offs = [...v.globals.values(), v.globalsSize].sort((a, b) => a - b);
			for (const [name, off] of v.globals) {
				const key = `global:${name}`;
				const end = offs.find((o) => o > off) ?? v.globalsSize;
				out.push({
					kind: "scalar",
					name,
					value: v.strings.has(key)
						? { kind: "string", value: readStr(value, off, end - off) }
						: { kind: "int", value: readInt(value, off, v.types.get(key) ?? INT64) },
				});
			}
		}
	}
	for (const [name, a] of v.assocs) out.push(readAssoc(name, a, v));
	return out;
}
