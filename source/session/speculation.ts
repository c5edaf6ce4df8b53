// The consumer's half of DTrace's speculations (the kernel's half is
// kernel/codegen/speculation.ts). Speculated records travel in the event ring
// like any other, tagged with their speculation's id; the consumer holds them
// back per speculation until the record of a commit() or discard() of that id
// comes by in output order, then prints them right there (commit) or drops
// them (discard). Holding them in user space rather than in a BPF area keeps
// one record path (a record is whole or absent, drops of a full ring counted
// as ever) and costs the kernel nothing at commit; specsize is still enforced
// in BPF at speculate(), so drops are exact and counted where they happen.
// A speculation's id is free again once the consumer has read every record
// the kernel let into it (its "written" count): the consumer deletes the map
// entry; until then speculation() counts it as busy.
import { BpfMap, MapType } from "../../kernel/bpf/index.ts";
import type { SpecPlan } from "../../kernel/codegen/ir.ts";
import { NSPEC_MAX, SPEC_DRAINING, SPEC_VALUE_SIZE, SPEC_WRITTEN } from "../../kernel/codegen/speculation.ts";
import type { Clause, Program } from "../d/ast.ts";
import { dropLine, FAULT, type RuntimeFault } from "../output/diagnostics.ts";
import { SessionError } from "./errors.ts";
import type { OrderedRecord } from "./events.ts";
import { allStatements, forEachExpr } from "./lower.ts";
import type { SharedMaps } from "./maps.ts";
import type { SpecMarks } from "./records.ts";

/** Failed speculations and speculative drops of one enabling, since it was enabled. */
export interface SpecCounts {
	/** speculation() found no free id (DTrace's "no speculative buffer available"). */
	unavailable: number;
	/** speculation() found ids still draining (DTrace's "available buffer(s) still busy"). */
	busy: number;
	/** Records refused because their speculation would pass specsize ("speculative drops"). */
	drops: number;
}

/** Does the program use speculations? */
export function usesSpeculation(program: Program): boolean {
	const spec = (c: Clause) => {
		let found = false;
		forEachExpr(c, (e) => {
			if (e.kind === "call" && e.fn === "speculation") found = true;
		});
		return (
			found ||
			allStatements(c.statements).some(
				(s) => s.kind === "expr" && (s.expr.fn === "speculate" || s.expr.fn === "commit" || s.expr.fn === "discard"),
			)
		);
	};
	return program.clauses.some(spec);
}

/** DTrace's lines for them, in its order: "dtop: 2 speculative drops", "dtop: 1 failed speculation (...)". */
export function specDropLines(c: SpecCounts): string {
	let out = "";
	if (c.drops) out += dropLine("speculative", c.drops);
	if (c.busy) out += dropLine("speculation-busy", c.busy);
	if (c.unavailable) out += dropLine("speculation-unavailable", c.unavailable);
	return out;
}

type Rec = OrderedRecord & SpecMarks;

export class Speculations {
	readonly plan: SpecPlan;
	readonly map: BpfMap;
	/** Records held back, per speculation id. */
	readonly #held = new Map<number, Rec[]>();
	/** Records read per id since the id was last freed. */
	readonly #read = new Map<number, number>();
	/** Ids committed or discarded whose records are not all read yet. */
	readonly #ending = new Map<number, { commit: boolean; written: number }>();

	constructor(
		private readonly maps: SharedMaps,
		nspec: number,
		specsize: number,
	) {
		if (!Number.isInteger(nspec) || nspec < 1 || nspec > NSPEC_MAX)
			throw new SessionError(`nspec must be between 1 and ${NSPEC_MAX} (it is ${nspec}).`);
		if (!Number.isSafeInteger(specsize) || specsize < 0)
			throw new SessionError(`specsize must be a size in bytes (it is ${specsize}).`);
		this.map = BpfMap.create({
			type: MapType.HASH,
			keySize: 4,
			valueSize: SPEC_VALUE_SIZE,
			maxEntries: nspec,
			name: "dtop_specs",
		});
		this.plan = {
			mapFd: this.map.fd,
			nspec,
			specsize,
			unavailSlot: maps.allocSlot(),
			busySlot: maps.allocSlot(),
			dropSlot: maps.allocSlot(),
		};
	}

	counts(): SpecCounts {
		const m = this.maps;
		return {
			unavailable: m.readCounter(this.plan.unavailSlot),
			busy: m.readCounter(this.plan.busySlot),
			drops: m.readCounter(this.plan.dropSlot),
		};
	}

	/** A speculated record: held, printed (its speculation was committed) or dropped (discarded). */
	private speculated(r: Rec, out: Rec[]): void {
		const id = r.spec!;
		this.#read.set(id, (this.#read.get(id) ?? 0) + 1);
		const ending = this.#ending.get(id);
		if (ending) {
			if (ending.commit) out.push(r);
			this.release(id);
			return;
		}
		let q = this.#held.get(id);
		if (!q) this.#held.set(id, (q = []));
		q.push(r);
	}

	/** commit(id) or discard(id) reached the output: the held records go out or away. */
	private end(id: number, commit: boolean, out: Rec[]): void {
		if (this.#ending.has(id)) return; // a second commit or discard of the same speculation
		const v = this.map.lookup(key(id));
		if (!v || v.readBigUInt64LE(SPEC_DRAINING) === 0n) return; // not in use when committed
		const held = this.#held.get(id) ?? [];
		this.#held.delete(id);
		if (commit) out.push(...held);
		this.#ending.set(id, { commit, written: Number(v.readBigUInt64LE(SPEC_WRITTEN)) });
		this.release(id);
	}

	/** Free the id once every record the kernel let into it was read. */
	private release(id: number): void {
		const e = this.#ending.get(id);
		if (!e || (this.#read.get(id) ?? 0) < e.written) return;
		this.#ending.delete(id);
		this.#read.delete(id);
		this.map.delete(key(id));
	}

	/** One record in output order; `fault` takes commit/discard of an id that cannot be one. */
	take(r: Rec, out: Rec[], fault: (f: RuntimeFault) => void): void {
		if (r.spec) {
			this.speculated(r, out);
			return;
		}
		for (const o of r.specOps ?? []) {
			if (o.id === 0n) continue;
			if (o.id < 0n || o.id > BigInt(this.plan.nspec)) {
				fault({
					epid: r.epid,
					probe: r.probe,
					fault: FAULT.ILLOP,
					action: o.action,
					cpu: r.cpu,
					timestamp: r.timestamp,
				});
				return;
			}
			this.end(Number(o.id), o.op === "commit", out);
		}
		// A clause of commits and discards alone records nothing the user sees.
		if (r.specOps && r.actions.length === 0) return;
		out.push(r);
	}

	close(): void {
		this.map.close();
		for (const s of [this.plan.unavailSlot, this.plan.busySlot, this.plan.dropSlot]) this.maps.freeSlot(s);
	}
}

function key(id: number): Buffer {
	const b = Buffer.alloc(4);
	b.writeUInt32LE(id);
	return b;
}

/**
 * Records in output order with every enabling's speculations applied: held
 * records out, committed ones where their commit is. Records of enablings
 * without speculations pass as they are.
 */
export function applySpeculations(
	records: OrderedRecord[],
	specOf: (enabling: number | undefined) => Speculations | undefined,
	fault: (f: RuntimeFault) => void,
): OrderedRecord[] {
	const out: Rec[] = [];
	for (const r of records as Rec[]) {
		const sp = r.spec || r.specOps ? specOf(r.enabling) : undefined;
		if (sp) sp.take(r, out, fault);
		else if (!r.spec) out.push(r);
	}
	return out;
}
