// D's string subroutines in BPF: strlen strjoin substr strchr strrchr strstr index
// rindex toupper tolower basename dirname lltostr, and the integer ones that
// need no string (rand, htons/htonl/ntohs/ntohl).
//
// Strings are built in the per-CPU buffer: each call takes a frame of the
// buffer's scratch area (BUF_TMP) for its integer words and its arguments'
// strings, above the frames of the calls it is nested in. Loops are bpf_loop
// callbacks (strloop.ts), verified once each; their state is in the frame's
// words. Every index is checked against strsize before it addresses the buffer.
import { type Asm, R0, R1, R2, R3, R4, R5, type Reg } from "../bpf/asm.ts";
import { Helper } from "../bpf/helpers.ts";
import { CodegenError, evalInt, label, type State } from "./compile.ts";
import type { IntExpr, StrExpr } from "./ir.ts";
import { BUF_TMP, TMP_MAX } from "./ir.ts";
import { bufAt, materializeStr, strSlot, strsize } from "./strings.ts";
import { bpfLoop, LOOP_INDEX, next, stop } from "./strloop.ts";

type FnExpr = Extract<StrExpr, { k: "fn" }>;
type IntFnExpr = Extract<IntExpr, { k: "strint" }>;

/** Bytes of the scratch area in use, per program being compiled. */
const used = new WeakMap<Asm, number>();

/** A call's frame: 16 integer words, then one string per argument. */
export interface Frame {
	words: number;
	strs: number[];
}

export function enter(s: State, strings: number): { f: Frame; leave: () => void } {
	const start = used.get(s.a) ?? 0;
	const bytes = 128 + strings * strSlot(s);
	if (start + bytes > TMP_MAX)
		throw new CodegenError(
			`string subroutines are nested too deeply for strsize ${strsize(s)} (their strings need more than ${TMP_MAX} bytes).`,
		);
	used.set(s.a, start + bytes);
	const strs = Array.from({ length: strings }, (_, i) => BUF_TMP + start + 128 + i * strSlot(s));
	return { f: { words: BUF_TMP + start, strs }, leave: () => used.set(s.a, start) };
}

/** *(u64 *)word(w) = reg (reg is not R1). */
export function setWord(s: State, f: Frame, w: number, reg: Reg): void {
	bufAt(s, R1, f.words + 8 * w);
	s.a.stx(8, R1, 0, reg);
}

export function setWordImm(s: State, f: Frame, w: number, v: number): void {
	bufAt(s, R1, f.words + 8 * w);
	s.a.st(8, R1, 0, v);
}

/** reg = word(w), a value the verifier knows nothing of. */
export function getWord(s: State, reg: Reg, f: Frame, w: number): void {
	bufAt(s, reg, f.words + 8 * w);
	s.a.ldx(8, reg, reg, 0);
}

/** dst = the byte at buffer offset base + idx (idx checked below strsize by the caller). */
export function byteAt(s: State, dst: Reg, base: number, idx: Reg): void {
	bufAt(s, dst, 0);
	s.a.add(dst, idx).ldx(1, dst, dst, base);
}

/**
 * A loop with `i` from word(fromWord): `body` (code of a callback, with the state
 * it is given) runs while it does not jump to `end`; `step` is +1 or -1. The body
 * may use R0-R5 but must keep `i` for `end`. Afterwards `i` (and word(fromWord))
 * is where the loop stopped.
 */
export function loop(
	s: State,
	f: Frame,
	i: Reg,
	fromWord: number,
	step: 1 | -1,
	body: (c: State, end: string) => void,
): void {
	const n = strsize(s);
	// From any start below strsize the loop stops within n + 1 iterations.
	bpfLoop(s, n + 1, "str", (c) => {
		const a = c.a;
		const end = label(c, "sl_end");
		getWord(c, i, f, fromWord);
		if (step === 1) a.add(i, LOOP_INDEX);
		else a.sub(i, LOOP_INDEX);
		// Below 0 or at strsize: done (an unsigned compare catches both).
		a.jge(i, n, end);
		body(c, end);
		next(c);
		a.label(end);
		setWord(c, f, fromWord, i);
		stop(c);
	});
	getWord(s, i, f, fromWord);
}

/** word(out) = strlen of the string at `src`. Uses R0-R5. */
function strlenTo(s: State, f: Frame, src: number, out: number): void {
	setWordImm(s, f, 7, 0);
	loop(s, f, R5, 7, 1, (c, end) => {
		byteAt(c, R0, src, R5);
		c.a.jeq(R0, 0, end);
	});
	setWord(s, f, out, R5);
}

/**
 * Copy bytes of the string at `src` from index word(from) to `dst` from index
 * word(at), at most word(count) of them, stopping at its NUL or at strsize - 1
 * bytes written; word(at) becomes the index after the last byte written.
 */
export function copyRange(s: State, f: Frame, dst: number, at: number, src: number, from: number, count: number): void {
	const n = strsize(s);
	setWordImm(s, f, 7, 0);
	loop(s, f, R5, 7, 1, (c, end) => {
		const a = c.a;
		getWord(c, R0, f, count);
		a.jsge(R5, R0, end);
		getWord(c, R2, f, at);
		a.add(R2, R5).jge(R2, n - 1, end);
		getWord(c, R1, f, from);
		a.add(R1, R5).jge(R1, n, end);
		byteAt(c, R0, src, R1);
		a.jeq(R0, 0, end);
		bufAt(c, R1, 0);
		a.add(R1, R2).stx(1, R1, dst, R0);
	});
	getWord(s, R4, f, at);
	s.a.add(R4, R5);
	setWord(s, f, at, R4);
}

/** Words used below: 0-5 the call's, 6 a copy's count, 7 a loop's start. */
const BIG = 0x7fffffff;

/** Copy `src` from index word(from) to the start of `dst`, to its NUL. */
function copyFrom(s: State, f: Frame, dst: number, src: number, from: number): void {
	setWordImm(s, f, 5, 0);
	setWordImm(s, f, 6, BIG);
	copyRange(s, f, dst, 5, src, from, 6);
}

function writeLit(s: State, dst: number, text: string): void {
	bufAt(s, R1, dst);
	for (let i = 0; i < text.length; i++) s.a.st(1, R1, i, text.charCodeAt(i));
}

/** A call's arguments into its frame: integers first (into words 0..), then strings, each into its own place. */
function loadArgs(s: State, e: FnExpr | IntFnExpr, f: Frame): void {
	e.n.forEach((x, i) => {
		evalInt(s, x);
		setWord(s, f, i, R0);
	});
	e.s.forEach((x, i) => {
		materializeStr(s, x, f.strs[i]!, strSlot(s));
	});
}

/** Write the string of a subroutine call, zero-padded to `size` bytes, at buffer offset `off`. */
export function materializeFn(s: State, e: FnExpr, off: number, size: number): void {
	const a = s.a;
	const { f, leave } = enter(s, e.s.length);
	try {
		loadArgs(s, e, f);
		bufAt(s, R1, off);
		for (let i = 0; i < size; i += 8) a.st(8, R1, i, 0);
		const A = f.strs[0]!;
		switch (e.fn) {
			case "strjoin":
				setWordImm(s, f, 4, 0);
				copyFrom(s, f, off, A, 4);
				setWordImm(s, f, 4, 0);
				setWordImm(s, f, 6, BIG);
				copyRange(s, f, off, 5, f.strs[1]!, 4, 6);
				return;
			case "toupper":
			case "tolower": {
				const [lo, hi] = e.fn === "toupper" ? [97, 122] : [65, 90];
				setWordImm(s, f, 7, 0);
				loop(s, f, R5, 7, 1, (c, end) => {
					const keep = label(c, "case_keep");
					a.jge(R5, strsize(c) - 1, end);
					byteAt(c, R0, A, R5);
					a.jeq(R0, 0, end);
					a.jlt(R0, lo, keep).jgt(R0, hi, keep).xor(R0, 0x20);
					a.label(keep);
					bufAt(c, R1, off);
					a.add(R1, R5).stx(1, R1, 0, R0);
				});
				return;
			}
			case "substr":
				substr(s, f, e, off, A);
				return;
			case "strchr":
			case "strrchr": {
				// word 1: the position found (-1: none, D's NULL, printed as "").
				setWordImm(s, f, 1, -1);
				setWordImm(s, f, 7, 0);
				loop(s, f, R5, 7, 1, (c, end) => {
					const more = label(c, "chr_next");
					byteAt(c, R2, A, R5);
					getWord(c, R0, f, 0);
					a.and(R0, 0xff).jne(R2, R0, more);
					setWord(c, f, 1, R5);
					if (e.fn === "strchr") a.ja(end);
					a.label(more);
					a.jeq(R2, 0, end);
				});
				copyFromFound(s, f, off, A);
				return;
			}
			case "strstr":
				setWordImm(s, f, 0, 0);
				search(s, f, A, f.strs[1]!, false);
				copyFromFound(s, f, off, A);
				return;
			case "basename":
			case "dirname":
				pathPart(s, f, e.fn, off, A);
				return;
			case "lltostr":
				lltostr(s, f, off);
				return;
		}
	} finally {
		leave();
	}
}

/** Copy A from word(1) to its end into `dst`, unless word(1) is negative (not found). */
function copyFromFound(s: State, f: Frame, dst: number, A: number): void {
	const none = label(s, "found_none");
	getWord(s, R0, f, 1);
	s.a.jslt(R0, 0, none);
	copyFrom(s, f, dst, A, 1);
	s.a.label(none);
}

/**
 * substr(s, index[, length]) as DTrace computes it: a negative index counts from
 * the end (a part before the start shortens the length), a negative length
 * leaves that many bytes off the end. Words: 0 index, 1 length, 2 strlen.
 */
function substr(s: State, f: Frame, e: FnExpr, dst: number, A: number): void {
	const a = s.a;
	const n = strsize(s);
	if (e.n.length < 2) setWordImm(s, f, 1, n);
	strlenTo(s, f, A, 2);
	const idxOk = label(s, "sub_idx");
	const empty = label(s, "sub_empty");
	const copy = label(s, "sub_copy");
	const done = label(s, "sub_done");
	getWord(s, R3, f, 0); // index
	getWord(s, R4, f, 1); // remaining
	getWord(s, R5, f, 2); // len
	a.jsge(R3, 0, idxOk);
	a.add(R3, R5);
	a.jsge(R3, 0, idxOk);
	// Before the start: the part before it is cut from the length.
	a.mov(R0, R3).add(R0, R4).jsle(R0, 0, idxOk);
	a.add(R4, R3).mov(R3, 0);
	a.label(idxOk);
	a.jsge(R3, R5, empty).jslt(R3, 0, empty);
	const posLen = label(s, "sub_pos");
	a.jsge(R4, 0, posLen);
	a.add(R4, R5).sub(R4, R3).ja(copy);
	a.label(posLen);
	a.mov(R0, R3).add(R0, R4).jsle(R0, n, copy);
	a.mov(R4, n).sub(R4, R3);
	a.label(copy);
	a.jsle(R4, 0, empty);
	setWord(s, f, 3, R3);
	setWord(s, f, 6, R4);
	setWordImm(s, f, 5, 0);
	copyRange(s, f, dst, 5, A, 3, 6);
	a.ja(done);
	a.label(empty);
	a.label(done);
}

/**
 * word(1) = the first (or, `last`, the last) index i of B in A with word(0) <= i
 * (or i <= word(0)), -1 when there is none; index and rindex as Perl's (which
 * DTrace's tests compare with). Words: 2 strlen(A), 3 strlen(B), 4 the last start.
 */
function search(s: State, f: Frame, A: number, B: number, last: boolean): void {
	const a = s.a;
	const n = strsize(s);
	strlenTo(s, f, A, 2);
	strlenTo(s, f, B, 3);
	setWordImm(s, f, 1, -1);
	const none = label(s, "srch_none");
	const start = label(s, "srch_start");
	getWord(s, R3, f, 0);
	getWord(s, R4, f, 2);
	getWord(s, R5, f, 3);
	if (last) {
		// A position before the start finds only the empty string (at 0).
		const inRange = label(s, "srch_in");
		a.jsge(R3, 0, inRange);
		a.jne(R5, 0, none);
		setWordImm(s, f, 1, 0);
		a.ja(none);
		a.label(inRange);
		a.sub(R4, R5).jslt(R4, 0, none);
		a.jsle(R3, R4, start);
		a.mov(R3, R4);
	} else {
		const nonNeg = label(s, "srch_nn");
		a.jsge(R3, 0, nonNeg).mov(R3, 0);
		a.label(nonNeg);
		a.jsle(R3, R4, start);
		a.mov(R3, R4);
		a.label(start);
		a.sub(R4, R5).jsgt(R3, R4, none);
		setWord(s, f, 4, R4);
	}
	if (last) a.label(start);
	setWord(s, f, 8, R3);
	setWordImm(s, f, 9, 0);
	// One loop over (start, offset) pairs: word 8 the start, word 9 the offset in B.
	// Each start takes at most strlen(B) + 1 iterations.
	bpfLoop(s, n * (n + 1) + 2, "srch", (c) => {
		const b = c.a;
		const end = label(c, "srch_end");
		const found = label(c, "srch_found");
		const miss = label(c, "srch_miss");
		getWord(c, R4, f, 8);
		b.jge(R4, n, end);
		if (!last) {
			getWord(c, R0, f, 4);
			b.jsgt(R4, R0, end);
		}
		getWord(c, R5, f, 9);
		getWord(c, R0, f, 3);
		b.jge(R5, R0, found);
		b.jge(R5, n, miss);
		b.mov(R1, R4).add(R1, R5).jge(R1, n, miss);
		byteAt(c, R2, A, R1);
		byteAt(c, R3, B, R5);
		b.jne(R2, R3, miss);
		b.add(R5, 1);
		setWord(c, f, 9, R5);
		next(c);
		b.label(miss);
		setWordImm(c, f, 9, 0);
		b.add(R4, last ? -1 : 1);
		setWord(c, f, 8, R4);
		next(c);
		b.label(found);
		setWord(c, f, 1, R4);
		b.label(end);
		stop(c);
	});
	a.label(none);
}

/** strlen, index, rindex: R0. */
export function evalStrInt(s: State, e: IntFnExpr): void {
	const { f, leave } = enter(s, e.s.length);
	try {
		loadArgs(s, e, f);
		if (e.fn === "strlen") {
			strlenTo(s, f, f.strs[0]!, 1);
		} else {
			if (e.n.length === 0) {
				if (e.fn === "index") setWordImm(s, f, 0, 0);
				else setWordImm(s, f, 0, BIG);
			}
			search(s, f, f.strs[0]!, f.strs[1]!, e.fn === "rindex");
		}
		getWord(s, R0, f, 1);
	} finally {
		leave();
	}
}

/**
 * basename and dirname as POSIX's commands: trailing slashes do not count, "" is
 * ".", a path of slashes is "/". Words: 2 strlen, 3 the end after trailing
 * slashes, 1 the last slash before it (-1: none).
 */
function pathPart(s: State, f: Frame, fn: "basename" | "dirname", dst: number, A: number): void {
	const a = s.a;
	const done = label(s, "path_done");
	const dot = label(s, "path_dot");
	const slash = label(s, "path_slash");
	strlenTo(s, f, A, 2);
	getWord(s, R0, f, 2);
	a.jeq(R0, 0, dot);
	// The end: back over trailing slashes, keeping one byte.
	a.sub(R0, 1);
	setWord(s, f, 7, R0);
	loop(s, f, R5, 7, -1, (c, end) => {
		a.jeq(R5, 0, end);
		byteAt(c, R0, A, R5);
		a.jne(R0, 47, end);
	});
	a.add(R5, 1);
	setWord(s, f, 3, R5);
	// The last slash before the end.
	setWordImm(s, f, 1, -1);
	a.sub(R5, 1);
	setWord(s, f, 7, R5);
	loop(s, f, R5, 7, -1, (c, end) => {
		const more = label(c, "path_next");
		byteAt(c, R0, A, R5);
		a.jne(R0, 47, more);
		setWord(c, f, 1, R5);
		a.ja(end);
		a.label(more);
	});
	getWord(s, R0, f, 1);
	getWord(s, R2, f, 3);
	if (fn === "basename") {
		// Only slashes: "/".
		a.mov(R3, R2).sub(R3, 1).jeq(R0, R3, slash);
		a.add(R0, 1);
		setWord(s, f, 4, R0);
		a.sub(R2, R0);
		setWord(s, f, 6, R2);
		setWordImm(s, f, 5, 0);
		copyRange(s, f, dst, 5, A, 4, 6);
		a.ja(done);
	} else {
		a.jslt(R0, 0, dot);
		// Back over the slashes before the last part.
		setWord(s, f, 7, R0);
		loop(s, f, R5, 7, -1, (c, end) => {
			a.jeq(R5, 0, end);
			a.mov(R1, R5).sub(R1, 1);
			byteAt(c, R0, A, R1);
			a.jne(R0, 47, end);
		});
		a.jeq(R5, 0, slash);
		setWord(s, f, 6, R5);
		setWordImm(s, f, 4, 0);
		setWordImm(s, f, 5, 0);
		copyRange(s, f, dst, 5, A, 4, 6);
		a.ja(done);
	}
	a.label(dot);
	writeLit(s, dst, ".");
	a.ja(done);
	a.label(slash);
	writeLit(s, dst, "/");
	a.label(done);
}

/** lltostr(n): the signed decimal digits of n. The digits are built backwards in the frame's words. */
function lltostr(s: State, f: Frame, dst: number): void {
	const a = s.a;
	const digits = f.words + 8; // 24 bytes: words 1-3
	const done = label(s, "ll_done");
	getWord(s, R3, f, 0);
	a.mov(R4, 0);
	const pos = label(s, "ll_pos");
	a.jsge(R3, 0, pos).neg(R3).mov(R4, 1);
	a.label(pos);
	// 20 digits at most (2^64 has 20); unrolled, R5 counts them.
	a.mov(R5, 0);
	for (let i = 0; i < 20; i++) {
		a.mov(R0, R3).mod(R0, 10).add(R0, 48);
		bufAt(s, R1, digits);
		a.stx(1, R1, 23 - i, R0);
		a.add(R5, 1).div(R3, 10).jeq(R3, 0, done);
	}
	a.label(done);
	// Word 4: where the digits start (32 - count, from the words); a '-' first for a negative n.
	a.mov(R0, 32).sub(R0, R5);
	setWord(s, f, 4, R0);
	setWord(s, f, 6, R5);
	setWordImm(s, f, 5, 0);
	const unsigned = label(s, "ll_u");
	a.jeq(R4, 0, unsigned);
	writeLit(s, dst, "-");
	setWordImm(s, f, 5, 1);
	a.label(unsigned);
	copyRange(s, f, dst, 5, f.words, 4, 6);
}

/** rand() and the byte-order subroutines. */
export function evalIntFn(s: State, e: Extract<IntExpr, { k: "rand" | "bswap" }>): void {
	if (e.k === "rand") {
		s.a.call(Helper.get_prandom_u32);
		return;
	}
	evalInt(s, e.e);
	s.a.toBe(R0, e.bits);
}
