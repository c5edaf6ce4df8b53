// An enabling's variables: its global scalars (one array map value, 8 bytes
// each, shared by every CPU as DTrace's globals are), clause-locals (slots of
// the per-CPU buffer) and global associative arrays (one hash map each, sized
// from dynvarsize; a full map is a counted dynamic variable drop).
import { BpfMap, MapType } from "../../kernel/bpf/index.ts";
import type { KeyField } from "../../kernel/codegen/ir.ts";
import { keySize } from "../../kernel/codegen/layout.ts";
import type { Program } from "../d/ast.ts";
import { SessionError } from "./errors.ts";
import { forEachExpr, type VarEnv } from "./lower.ts";
import { inferVarTypes, type VarTypes } from "./lower-types.ts";
import type { SharedMaps } from "./maps.ts";

/** The largest number of global scalars of one enabling (one array value). */
const MAX_GLOBALS = 1024;

export interface VarState {
	types: VarTypes;
	/** Variables (by varKey) whose values are strings. */
	strings: Set<string>;
	globals: Map<string, number>;
	locals: Map<string, number>;
	localsSize: number;
	globalsMap?: BpfMap;
	/** Bytes of the globals map's value. */
	globalsSize: number;
	/** Each array's map, with its key's fields and its value's bytes (for reading it back: var-view.ts). */
	assocs: Map<string, { map: BpfMap; keySize: number; keys: KeyField[]; valueSize: number }>;
	/** Counter slot of dynamic variable drops, and their count. */
	dynDropSlot: number;
	dynDrops: number;
}

/** The variables of a program: names get their places as the program uses them. */
export function newVarState(
	program: Program,
	maps: SharedMaps,
	types: ReadonlyMap<string, "int" | "string">,
	strsize: number,
): VarState {
	const globals = new Map<string, number>();
	const strings = new Set([...types].filter(([, t]) => t === "string").map(([k]) => k));
	const strBytes = Math.ceil(strsize / 8) * 8;
	// Every global the program names gets its offset now: the map is made once, at its full size.
	let size = 0;
	const visit = (name: string, bytes?: number) => {
		if (globals.has(name)) return;
		globals.set(name, size);
		size += bytes ?? (strings.has(`global:${name}`) ? strBytes : 8);
	};
	for (const c of program.clauses)
		forEachExpr(c, (e) => {
			if (e.kind === "ident") visit(e.name);
			// A struct or union variable (source/d/ctypes): its bytes, rounded to 8.
			else if (e.kind === "field" && e.scope === "global") visit(e.name, e.varSize);
		});
	if (globals.size > MAX_GLOBALS)
		throw new SessionError(
			`the program has ${globals.size} global variables, more than the ${MAX_GLOBALS} dtop keeps.`,
		);
	return {
		types: inferVarTypes(program),
		strings,
		globalsSize: size,
		globals,
		locals: new Map(),
		localsSize: 0,
		assocs: new Map(),
		dynDropSlot: maps.allocSlot(),
		dynDrops: 0,
	};
}

interface HasVars {
	vars: VarState;
}

/** The lowering's view of an enabling's variables (maps made when first used). */
export function varEnvOf(st: HasVars, dynvarsize: number): VarEnv {
	const v = st.vars;
	return {
		types: v.types,
		strings: v.strings,
		global(name) {
			const off = v.globals.get(name);
			if (off === undefined) throw new SessionError(`global variable '${name}' is not part of the program.`);
			v.globalsMap ??= BpfMap.create({
				type: MapType.ARRAY,
				keySize: 4,
				valueSize: Math.max(8, v.globalsSize),
				maxEntries: 1,
				name: "dtop_globals",
			});
			return off;
		},
		local(name, size) {
			let off = v.locals.get(name);
			if (off === undefined) {
				off = v.localsSize;
				v.locals.set(name, off);
				v.localsSize += size;
			}
			return off;
		},
		assoc(name, keys: KeyField[], valueSize) {
			const size = keySize(keys);
			const have = v.assocs.get(name);
			if (have) {
				if (have.keySize !== size)
					throw new SessionError(`${name}[] is used with keys of different sizes (${have.keySize} and ${size} bytes).`);
				return have.map.fd;
			}
			// dynvarsize bounds the array: key and value bytes per element (DTrace's dynamic variable space).
			const entries = Math.max(1, Math.floor(dynvarsize / (size + valueSize)));
			const map = BpfMap.create({
				type: MapType.HASH,
				keySize: size,
				valueSize,
				maxEntries: entries,
				name: `dtop_${name}`.slice(0, 15),
			});
			v.assocs.set(name, { map, keySize: size, keys, valueSize });
			return map.fd;
		},
	};
}

/** Close an enabling's variable maps and free its counter. */
export function releaseVars(v: VarState, maps: SharedMaps, attempt: (f: () => void) => void): void {
	if (v.globalsMap) attempt(() => v.globalsMap?.close());
	for (const a of v.assocs.values()) attempt(() => a.map.close());
	v.assocs.clear();
	maps.freeSlot(v.dynDropSlot);
}
