// llquantize(value, factor, low, high, steps): the log-linear bucket index of
// a value, computed as source/output/quantize.ts's llquantizeBucket (DTrace's
// dt_cg_agg_llquantize_bin) with every magnitude's bounds unrolled as
// constants. Buckets: the negative ones (largest magnitude first), the middle
// one for |value| < factor^low, then the positive ones.
import { R0, R1, R2, R3, R9, type Reg } from "../bpf/asm.ts";
import { label, loadConst, type State } from "./compile.ts";

export interface LLQuantize {
	factor: number;
	lmag: number;
	hmag: number;
	steps: number;
}

/** Buckets of an llquantize() (both signs, the middle one and the two edges). */
export function llquantizeBins(p: LLQuantize): number {
	return (p.hmag - p.lmag + 1) * (p.steps - Math.floor(p.steps / p.factor)) * 2 + 3;
}

/** Why dtop cannot compile these parameters, or undefined when it can. */
export function llquantizeLimit(p: LLQuantize): string | undefined {
	if (BigInt(p.factor) ** BigInt(p.hmag + 1) >= 1n << 63n)
		return `llquantize's factor ${p.factor} to the power ${p.hmag + 1} (the high magnitude plus one) does not fit in 63 bits.`;
	if (llquantizeBins(p) > 4096) return "llquantize would have more than 4096 buckets.";
	return undefined;
}

/** R0 = the bucket of the value in `v` (R9 in agg.ts), 0 .. bins-1. Clobbers R1-R3. */
export function llquantizeIndex(s: State, v: Reg, p: LLQuantize): void {
	const a = s.a;
	const sf = Math.floor(p.steps / p.factor);
	const per = p.steps - sf;
	const middle = 1 + (p.hmag - p.lmag + 1) * per;
	const sign = label(s, "llq_sign");
	const done = label(s, "llq_done");
	// R2 = |v| (unsigned: INT64_MIN stays 2^63).
	a.mov(R2, v);
	const pos = label(s, "llq_pos");
	a.jsge(R2, 0, pos).neg(R2);
	a.label(pos);
	let max = BigInt(p.factor) ** BigInt(p.lmag);
	loadConst(a, R1, max);
	a.jge(R2, R1, `${sign}_lowok`).mov(R0, middle).ja(done);
	a.label(`${sign}_lowok`);
	for (let mag = p.lmag; mag <= p.hmag; mag++) {
		const next = label(s, "llq_next");
		const prev = max;
		max *= BigInt(p.factor);
		loadConst(a, R1, max);
		a.jge(R2, R1, next);
		// ind = mag ? |v| / (max / steps) : |v| * steps / max; bin = (mag - low) * per + ind - sf + 1
		if (mag !== 0) {
			loadConst(a, R1, max / BigInt(p.steps));
			a.mov(R0, R2).div(R0, R1);
		} else {
			a.mov(R0, R2).mul(R0, p.steps);
			loadConst(a, R1, max);
			a.div(R0, R1);
		}
		a.add(R0, (mag - p.lmag) * per - sf + 1).ja(sign);
		a.label(next);
		void prev;
	}
	a.mov(R0, (p.hmag - p.lmag + 1) * per + 1);
	a.label(sign);
	const plus = label(s, "llq_plus");
	a.jsge(v, 0, plus).neg(R0);
	a.label(plus);
	a.add(R0, middle);
	a.label(done);
	// Bound the index for the verifier.
	const ok = label(s, "llq_ok");
	a.jsge(R0, 0, `${ok}_lo`).mov(R0, 0);
	a.label(`${ok}_lo`);
	a.jle(R0, llquantizeBins(p) - 1, ok).mov(R0, llquantizeBins(p) - 1);
	a.label(ok);
	void R3;
	void R9;
}
