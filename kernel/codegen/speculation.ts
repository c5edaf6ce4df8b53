// DTrace's speculations in BPF. The enabling's speculation map (SpecPlan) has
// an entry per speculation in use, keyed by its id (1..nspec): {u64 records
// written, u64 bytes taken, u64 draining}. speculation() creates the first
// free id's entry (BPF_NOEXIST makes the claim atomic across CPUs), or counts
// a failed speculation: "busy" when an entry is still draining (committed or
// discarded, its records not yet read by the consumer), else "unavailable".
// speculate(id) tags the clause's record with the id (the record header's
// spare word at byte 20) and charges its bytes to the speculation, or ends the
// clause without a record: an id not in use or draining silently (as DTrace),
// a speculation over specsize as a counted speculative drop. commit(id) and
// discard(id) mark the entry draining and record the id; the consumer
// (source/session/speculation.ts) prints or drops the speculation's records
// where that record is in the output, then deletes the entry, freeing the id.
import { R0, R1, R2, R3, R4, R10 } from "../bpf/asm.ts";
import { Helper } from "../bpf/helpers.ts";
import { CodegenError, counterAdd, evalInt, label, loadConst, type State, slot } from "./compile.ts";
import type { IntExpr, SpecPlan } from "./ir.ts";
import { RECORD_HEADER } from "./ir.ts";
import { REC_PTR } from "./record.ts";

const BPF_NOEXIST = 1;
/** Offsets in a speculation's map value. */
export const SPEC_WRITTEN = 0;
export const SPEC_SIZE = 8;
export const SPEC_DRAINING = 16;
export const SPEC_VALUE_SIZE = 24;
/** Where a record's speculation id is (0: not speculative). */
export const SPEC_ID_OFFSET = 20;
/** The most speculations dtop keeps per enabling (speculation() tries each id in turn). */
export const NSPEC_MAX = 64;

/**
 * The bytes a speculated record takes of specsize: its data plus 16 bytes,
 * as DTrace counts a speculated clause's buffer (so specsize thresholds of
 * DTrace scripts mean the same here).
 */
export function specCharge(recordSize: number): number {
	return recordSize - RECORD_HEADER + 16;
}

function plan(s: State): SpecPlan {
	const p = s.p.spec;
	if (!p) throw new CodegenError("speculations need the enabling's speculation map.");
	if (p.nspec < 1 || p.nspec > NSPEC_MAX) throw new CodegenError(`nspec must be between 1 and ${NSPEC_MAX}.`);
	return p;
}

/** R0 = the id of a speculation claimed now, or 0 (and a failed speculation counted). */
export function evalSpeculation(s: State): void {
	const a = s.a;
	const p = plan(s);
	const key = slot(s.depth);
	const busy = slot(s.depth + 1);
	const value = slot(s.depth + 4); // 24 zero bytes: slots depth+4 .. depth+2
	const done = label(s, "spec_done");
	a.st(8, R10, busy, 0);
	for (let i = 2; i <= 4; i++) a.st(8, R10, slot(s.depth + i), 0);
	for (let id = 1; id <= p.nspec; id++) {
		const next = label(s, "spec_next");
		const free = label(s, "spec_free");
		a.st(8, R10, key, id);
		// A look first (ids in use are the common case in a busy loop), then the atomic claim.
		a.ldMapFd(R1, p.mapFd).mov(R2, R10).add(R2, key).call(Helper.map_lookup_elem);
		a.jeq(R0, 0, free).ldx(8, R1, R0, SPEC_DRAINING).jeq(R1, 0, next);
		a.st(8, R10, busy, 1).ja(next);
		a.label(free);
		a.ldMapFd(R1, p.mapFd).mov(R2, R10).add(R2, key).mov(R3, R10).add(R3, value).mov(R4, BPF_NOEXIST);
		a.call(Helper.map_update_elem);
		a.jne(R0, 0, next).mov(R0, id).ja(done);
		a.label(next);
	}
	const unavailable = label(s, "spec_unavail");
	const counted = label(s, "spec_counted");
	a.ldx(8, R1, R10, busy).jeq(R1, 0, unavailable);
	counterAdd(s, p.busySlot);
	a.ja(counted);
	a.label(unavailable);
	counterAdd(s, p.unavailSlot);
	a.label(counted).mov(R0, 0);
	a.label(done);
}

/** speculate(id): tag the record, charge its bytes, or end the clause. */
export function compileSpeculate(s: State, id: IntExpr): void {
	const a = s.a;
	const p = plan(s);
	const r = s.p.record;
	const end = s.end;
	if (!r || !end) throw new CodegenError("speculate() needs the clause's record plan.");
	const key = slot(s.depth);
	const charge = specCharge(r.size);
	evalInt(s, id);
	// 0, a negative id (a large unsigned one) or one past nspec: no speculation, nothing recorded.
	a.jeq(R0, 0, end).jgt(R0, p.nspec, end);
	a.stx(8, R10, key, R0);
	a.ldMapFd(R1, p.mapFd).mov(R2, R10).add(R2, key).call(Helper.map_lookup_elem);
	a.jeq(R0, 0, end).ldx(8, R1, R0, SPEC_DRAINING).jne(R1, 0, end);
	const fits = label(s, "spec_fits");
	a.mov(R1, charge).atomicAdd(8, R0, SPEC_SIZE, R1, true);
	a.add(R1, charge);
	loadConst(a, R2, BigInt(p.specsize));
	a.jle(R1, R2, fits);
	// Over specsize: give the bytes back, count a speculative drop, end the clause.
	a.mov(R1, -charge).atomicAdd(8, R0, SPEC_SIZE, R1);
	counterAdd(s, p.dropSlot);
	a.ja(end);
	a.label(fits);
	a.mov(R1, 1).atomicAdd(8, R0, SPEC_WRITTEN, R1);
	a.ldx(8, R1, R10, key).ldx(8, R2, R10, REC_PTR).stx(4, R2, SPEC_ID_OFFSET, R1);
}

/** commit(id) / discard(id): the id into the record at `off`; a speculation in use is marked draining. */
export function compileSpecEnd(s: State, off: number, id: IntExpr): void {
	const a = s.a;
	const p = plan(s);
	const key = slot(s.depth);
	const done = label(s, "spec_end");
	evalInt(s, id);
	a.ldx(8, R1, R10, REC_PTR).stx(8, R1, off, R0);
	// Out of range: the consumer reports the illegal operation.
	a.jeq(R0, 0, done).jgt(R0, p.nspec, done);
	a.stx(8, R10, key, R0);
	a.ldMapFd(R1, p.mapFd).mov(R2, R10).add(R2, key).call(Helper.map_lookup_elem);
	a.jeq(R0, 0, done).st(8, R0, SPEC_DRAINING, 1);
	a.label(done);
}
