// Aggregation updates: look the key up (inserting zeros for a new key, counted
// so evictions can be known), then update the value per its function.
import { R0, R1, R2, R3, R4, R5, R8, R9, R10 } from "../bpf/asm.ts";
import { Helper } from "../bpf/helpers.ts";
import { addTo, counterAdd, evalInt, label, loadConst, type State, slot } from "./compile.ts";
import type { Stmt } from "./ir.ts";
import { lquantizeBuckets, QUANTIZE_ZERO } from "./layout.ts";
import { llquantizeIndex } from "./llquantize.ts";
import { buildKey, keyAt } from "./strings.ts";

const BPF_NOEXIST = 1;
/** The zero map's key (a u32 0), in the thread-local key's stack area. */
const ZERO_KEY = -112;

export function compileAgg(s: State, st: Extract<Stmt, { k: "agg" }>, exit: string): void {
	const a = s.a;
	// The value first (it may call helpers and use the stack), then the key.
	const valOff = slot(s.depth);
	if (st.value) {
		evalInt(s, st.value);
		a.stx(8, R10, valOff, R0);
	}
	s.depth++;
	const weightOff = slot(s.depth);
	if (st.weight) {
		evalInt(s, st.weight);
		a.stx(8, R10, weightOff, R0);
		s.depth++;
	}
	const key = buildKey(s, st.keys);
	if (st.weight) s.depth--;
	s.depth--;
	const have = label(s, "agg_have");
	const drop = label(s, "agg_drop");
	const next = label(s, "agg_next");
	a.ldMapFd(R1, st.mapFd);
	keyAt(s, R2, key);
	a.call(Helper.map_lookup_elem);
	a.jne(R0, 0, have);
	// New key: insert zeros (from the zero map) unless another CPU just did.
	a.st(4, R10, ZERO_KEY, 0);
	a.ldMapFd(R1, s.p.zeroFd).mov(R2, R10).add(R2, ZERO_KEY).call(Helper.map_lookup_elem);
	a.jeq(R0, 0, drop);
	a.mov(R3, R0).ldMapFd(R1, st.mapFd);
	keyAt(s, R2, key);
	a.mov(R4, BPF_NOEXIST).call(Helper.map_update_elem);
	a.jne(R0, 0, `${have}_relookup`);
	counterAdd(s, st.insertSlot);
	a.label(`${have}_relookup`);
	a.ldMapFd(R1, st.mapFd);
	keyAt(s, R2, key);
	a.call(Helper.map_lookup_elem);
	a.jeq(R0, 0, drop);
	a.label(have);
	a.mov(R8, R0);
	a.ldx(8, R9, R10, valOff);
	// count (every function's first field)
	addTo(s, R8, 0, 1);
	switch (st.fn) {
		case "count":
			break;
		case "sum":
		case "avg":
			addTo(s, R8, 8, R9);
			break;
		case "min":
		case "max": {
			// The count was bumped already: a count of 1 means "first value".
			const set = label(s, "mm_set");
			a.ldx(8, R1, R8, 0).jeq(R1, 1, set);
			a.ldx(8, R1, R8, 8);
			if (st.fn === "min") a.jsle(R1, R9, next);
			else a.jsge(R1, R9, next);
			a.label(set).stx(8, R8, 8, R9);
			break;
		}
		case "stddev":
			addTo(s, R8, 8, R9);
			square128(s);
			break;
		case "quantize":
			quantizeIndex(s);
			a.lsh(R0, 3).add(R0, 8).add(R8, R0);
			addBucket(s, st.weight ? weightOff : undefined);
			break;
		case "llquantize":
			llquantizeIndex(s, R9, st.lq!.ll!);
			a.lsh(R0, 3).add(R0, 8).add(R8, R0);
			addBucket(s, st.weight ? weightOff : undefined);
			break;
		case "lquantize": {
			const lq = st.lq!;
			const n = lquantizeBuckets(lq);
			const under = label(s, "lq_under");
			const over = label(s, "lq_over");
			const add = label(s, "lq_add");
			loadConst(a, R1, lq.lo);
			a.jslt(R9, R1, under);
			loadConst(a, R1, lq.hi);
			a.jsge(R9, R1, over);
			a.mov(R0, R9);
			loadConst(a, R1, lq.lo);
			a.sub(R0, R1);
			loadConst(a, R1, lq.step);
			a.div(R0, R1).add(R0, 1);
			// Bound the index for the verifier (and against rounding).
			a.jle(R0, n - 2, add)
				.mov(R0, n - 2)
				.ja(add);
			a.label(under).mov(R0, 0).ja(add);
			a.label(over).mov(R0, n - 1);
			a.label(add);
			a.lsh(R0, 3).add(R0, 8).add(R8, R0);
			addBucket(s, st.weight ? weightOff : undefined);
			break;
		}
	}
	a.ja(next);
	a.label(drop);
	counterAdd(s, s.p.dropSlot);
	a.label(next);
	void exit;
}

/** Add 1, or the weight kept at fp+weightOff, to the bucket at R8. */
function addBucket(s: State, weightOff: number | undefined): void {
	if (weightOff === undefined) {
		addTo(s, R8, 0, 1);
		return;
	}
	s.a.ldx(8, R2, R10, weightOff);
	addTo(s, R8, 0, R2);
}

/** Add R9*R9 as a 128-bit value to the u64 pair at R8+16 (low) / R8+24 (high). */
function square128(s: State): void {
	const a = s.a;
	const pos = label(s, "sq_pos");
	const c1 = label(s, "sq_c1");
	const c2 = label(s, "sq_c2");
	const c3 = label(s, "sq_c3");
	a.mov(R1, R9).jsge(R1, 0, pos).neg(R1);
	a.label(pos);
	// R1 = |v| = h*2^32 + l ; v^2 = h^2*2^64 + 2hl*2^32 + l^2
	a.mov(R2, R1).rsh(R2, 32); // h
	a.mov32(R1, R1); // l
	a.mov(R3, R1).mul(R3, R1); // lo = l*l
	a.mov(R4, R2).mul(R4, R1); // m = h*l
	a.mov(R5, R2).mul(R5, R2); // hi = h*h
	// lo += (m << 32) twice; hi += (m >> 32) twice, plus carries
	for (let i = 0; i < 2; i++) {
		const carry = i === 0 ? c1 : c2;
		a.mov(R0, R4).lsh(R0, 32).add(R3, R0);
		a.jge(R3, R0, carry).add(R5, 1);
		a.label(carry);
		a.mov(R0, R4).rsh(R0, 32).add(R5, R0);
	}
	// accumulate into the value
	a.ldx(8, R0, R8, 16).add(R0, R3).stx(8, R8, 16, R0);
	a.jge(R0, R3, c3).add(R5, 1);
	a.label(c3);
	a.ldx(8, R0, R8, 24).add(R0, R5).stx(8, R8, 24, R0);
}

/** R0 = quantize bucket index of R9 (0..127), as layout.quantizeBucket computes it. */
function quantizeIndex(s: State): void {
	const a = s.a;
	const zero = label(s, "q_zero");
	const pos = label(s, "q_pos");
	const done = label(s, "q_done");
	a.jeq(R9, 0, zero);
	a.mov(R1, R9).jsgt(R1, 0, pos).neg(R1);
	a.label(pos);
	// R2 = floor(log2(R1)) by binary search
	a.mov(R2, 0);
	for (const sh of [32, 16, 8, 4, 2, 1]) {
		const skip = label(s, "q_s");
		a.mov(R3, R1).rsh(R3, sh).jeq(R3, 0, skip);
		a.add(R2, sh).rsh(R1, sh);
		a.label(skip);
	}
	a.jle(R2, 62, `${done}_c`).mov(R2, 62);
	a.label(`${done}_c`);
	const neg = label(s, "q_neg");
	a.jslt(R9, 0, neg);
	a.mov(R0, QUANTIZE_ZERO + 1)
		.add(R0, R2)
		.ja(done);
	a.label(neg)
		.mov(R0, QUANTIZE_ZERO - 1)
		.sub(R0, R2)
		.ja(done);
	a.label(zero).mov(R0, QUANTIZE_ZERO);
	a.label(done);
	a.and(R0, 127);
}
