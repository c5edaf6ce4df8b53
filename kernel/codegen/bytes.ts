// strtok, copyin and inet_ntoa/inet_ntop in BPF (the D side: source/session/lower-bytes.ts).
//
// strtok keeps its state per CPU in the buffer (BUF_STRTOK: the position + 1,
// 0 when no string was given yet, then the string), as DTrace keeps it per
// CPU: strtok(NULL, d) in a later clause of the same firing goes on where the
// last call stopped; with no string ever given it faults (invalid address 0),
// as DTrace's does. Delimiters become a 256-bit set in the frame's words 12-15,
// so each scan is one bpf_loop. copyin reads up to strsize - 1 bytes of user
// memory (a fault is DTrace's invalid address). inet_ntop writes the address
// as DTrace (and BSD's inet_ntop) does: the longest run of two or more zero
// groups (the first of equals) as "::", IPv4-compatible and -mapped addresses
// with a dotted quad; its code is unrolled (8 groups, 4 nibbles).
import { R0, R1, R2, R3, R4, R5, R9, R10, type Reg } from "../bpf/asm.ts";
import { evalInt, label, type State, slot } from "./compile.ts";
import { checkRead, DTRACEFLT, raise } from "./faults.ts";
import type { StrExpr } from "./ir.ts";
import { BUF_STRTOK } from "./ir.ts";
import { byteAt, copyRange, enter, type Frame, getWord, loop, setWord, setWordImm } from "./strfuncs.ts";
import { bufAt, materializeStr, strSlot, strsize } from "./strings.ts";
import { readUser } from "./user-read.ts";

type BytesExpr = Extract<StrExpr, { k: "strtok" | "copyin" | "inet" }>;

const AF_INET = 2;
const AF_INET6 = 10;
/** DTRACEFLT_ILLOP: inet_ntop of an address family other than AF_INET and AF_INET6. */
const ILLOP = 3;

/** Write the string of `e`, zero-padded to `size` bytes, at buffer offset `off`. */
export function materializeBytes(s: State, e: BytesExpr, off: number, size: number): void {
	switch (e.k) {
		case "copyin":
			copyin(s, e, off, size);
			return;
		case "strtok":
			strtok(s, e, off, size);
			return;
		case "inet":
			inet(s, e, off, size);
			return;
	}
}

function zero(s: State, off: number, size: number): void {
	bufAt(s, R1, off);
	for (let i = 0; i < size; i += 8) s.a.st(8, R1, i, 0);
}

function copyin(s: State, e: Extract<StrExpr, { k: "copyin" }>, off: number, size: number): void {
	const a = s.a;
	const n = Math.min(size, strsize(s));
	const sizeSlot = slot(s.depth);
	evalInt(s, e.size);
	a.stx(8, R10, sizeSlot, R0);
	s.depth++;
	evalInt(s, e.addr);
	s.depth--;
	a.mov(R9, R0);
	zero(s, off, size);
	// R2 = the size, within 0..n - 1 (the last byte stays the string's NUL).
	const pos = label(s, "ci_pos");
	const ok = label(s, "ci_ok");
	a.ldx(8, R2, R10, sizeSlot);
	a.jsgt(R2, 0, pos).mov(R2, 0);
	a.label(pos);
	a.jslt(R2, n - 1, ok).mov(R2, n - 1);
	a.label(ok);
	bufAt(s, R1, off);
	a.mov(R3, R9);
	readUser(s);
	checkRead(s);
}

/** Is byte `c` (a register, 0..255) in the set at the frame's words 12-15? dst = 1 or 0. Clobbers `tmp`. */
function inSet(c: State, f: Frame, dst: Reg, ch: Reg, tmp: Reg): void {
	const a = c.a;
	a.mov(tmp, ch).rsh(tmp, 3);
	bufAt(c, dst, f.words + 96);
	a.add(dst, tmp).ldx(1, dst, dst, 0);
	a.mov(tmp, ch).and(tmp, 7);
	a.rsh(dst, tmp).and(dst, 1);
}

/** Words: 0 the scan's index, 1 the token's start, 2 its end, 5 and 6 copyRange's; 12-15 the delimiter set. */
function strtok(s: State, e: Extract<StrExpr, { k: "strtok" }>, off: number, size: number): void {
	const a = s.a;
	const n = strsize(s);
	const S = BUF_STRTOK + 8;
	if (e.s) {
		materializeStr(s, e.s, S, strSlot(s));
		bufAt(s, R1, BUF_STRTOK);
		a.st(8, R1, 0, 1);
	} else if (s.fault) {
		// strtok(NULL, d) before any string: DTrace's invalid address (0).
		const have = label(s, "tok_have");
		bufAt(s, R1, BUF_STRTOK);
		a.ldx(8, R0, R1, 0).jne(R0, 0, have);
		raise(s, DTRACEFLT.BADADDR, undefined);
		a.label(have);
	}
	const { f, leave } = enter(s, 1);
	try {
		const D = f.strs[0]!;
		materializeStr(s, e.delim, D, strSlot(s));
		zero(s, off, size);
		for (let w = 12; w < 16; w++) setWordImm(s, f, w, 0);
		// The delimiter set.
		setWordImm(s, f, 0, 0);
		loop(s, f, R5, 0, 1, (c, end) => {
			byteAt(c, R3, D, R5);
			c.a.jeq(R3, 0, end);
			c.a.mov(R4, R3).rsh(R4, 3);
			bufAt(c, R1, f.words + 96);
			c.a.add(R1, R4).ldx(1, R2, R1, 0);
			c.a.mov(R4, R3).and(R4, 7).mov(R0, 1).lsh(R0, R4).or(R2, R0).stx(1, R1, 0, R2);
		});
		// From the saved position (none: nothing left), past the delimiters.
		const none = label(s, "tok_none");
		const done = label(s, "tok_done");
		bufAt(s, R1, BUF_STRTOK);
		a.ldx(8, R0, R1, 0).jeq(R0, 0, done).sub(R0, 1);
		setWord(s, f, 0, R0);
		loop(s, f, R5, 0, 1, (c, end) => {
			byteAt(c, R3, S, R5);
			c.a.jeq(R3, 0, end);
			inSet(c, f, R0, R3, R4);
			c.a.jeq(R0, 0, end);
		});
		a.jge(R5, n, none);
		byteAt(s, R3, S, R5);
		a.jeq(R3, 0, none);
		setWord(s, f, 1, R5);
		setWord(s, f, 2, R5);
		// To the next delimiter or the end.
		loop(s, f, R5, 2, 1, (c, end) => {
			byteAt(c, R3, S, R5);
			c.a.jeq(R3, 0, end);
			inSet(c, f, R0, R3, R4);
			c.a.jne(R0, 0, end);
		});
		getWord(s, R0, f, 1);
		a.mov(R4, R5).sub(R4, R0);
		setWord(s, f, 6, R4);
		setWordImm(s, f, 5, 0);
		copyRange(s, f, off, 5, S, 1, 6);
		// The next call starts at the delimiter that ended the token, as DTrace's does
		// (with other delimiters, it may be part of the next token).
		getWord(s, R5, f, 2);
		a.add(R5, 1);
		bufAt(s, R1, BUF_STRTOK);
		a.stx(8, R1, 0, R5);
		a.ja(done);
		// Nothing left: NULL (""), and the position stays at the end.
		a.label(none);
		a.add(R5, 1);
		bufAt(s, R1, BUF_STRTOK);
		a.stx(8, R1, 0, R5);
		a.label(done);
	} finally {
		leave();
	}
}

/** Word 0: the output position; 1 the zero run's start, 2 its length. */
const POS = 0;

/** Append the character in R0 at dst + word(POS), unless the string is full. Clobbers R1, R2. */
function put(s: State, f: Frame, dst: number): void {
	const a = s.a;
	const full = label(s, "in_full");
	getWord(s, R2, f, POS);
	a.jge(R2, strsize(s) - 1, full);
	bufAt(s, R1, dst);
	a.add(R1, R2).stx(1, R1, 0, R0);
	a.add(R2, 1);
	setWord(s, f, POS, R2);
	a.label(full);
}

function putChar(s: State, f: Frame, dst: number, ch: string): void {
	s.a.mov(R0, ch.charCodeAt(0));
	put(s, f, dst);
}

/** R3 = the byte at src + i. */
function byte(s: State, reg: Reg, src: number, i: number): void {
	bufAt(s, reg, src);
	s.a.ldx(1, reg, reg, i);
}

/** The decimal digits of the byte at src + i, without leading zeros. Uses R0-R4. */
function decimal(s: State, f: Frame, dst: number, src: number, i: number): void {
	const a = s.a;
	const tens = label(s, "in_tens");
	const ones = label(s, "in_ones");
	byte(s, R3, src, i);
	a.jlt(R3, 100, tens);
	a.mov(R0, R3).div(R0, 100).add(R0, 48);
	put(s, f, dst);
	a.mod(R3, 100);
	a.mov(R0, R3).div(R0, 10).add(R0, 48);
	put(s, f, dst);
	a.ja(ones);
	a.label(tens);
	a.jlt(R3, 10, ones);
	a.mov(R0, R3).div(R0, 10).add(R0, 48);
	put(s, f, dst);
	a.label(ones);
	a.mod(R3, 10).mov(R0, R3).add(R0, 48);
	put(s, f, dst);
}

function dottedQuad(s: State, f: Frame, dst: number, src: number, from: number): void {
	for (let i = 0; i < 4; i++) {
		if (i > 0) putChar(s, f, dst, ".");
		decimal(s, f, dst, src, from + i);
	}
}

/** R3 = 16-bit group g of the address at src (network order). Clobbers R0. */
function group(s: State, src: number, g: number): void {
	byte(s, R3, src, 2 * g);
	byte(s, R0, src, 2 * g + 1);
	s.a.lsh(R3, 8).or(R3, R0);
}

/** The group's hex digits without leading zeros ("0" for zero). Uses R0-R4. */
function hexGroup(s: State, f: Frame, dst: number, g: number, src: number): void {
	const a = s.a;
	a.mov(R4, 0);
	for (let k = 3; k >= 0; k--) {
		const skip = label(s, "in_skip");
		group(s, src, g);
		a.rsh(R3, 4 * k).and(R3, 15);
		if (k > 0) {
			const emit = label(s, "in_emit");
			a.jne(R4, 0, emit).jeq(R3, 0, skip);
			a.label(emit);
		}
		const digit = label(s, "in_digit");
		a.mov(R4, 1).mov(R0, R3).add(R0, 48).jlt(R3, 10, digit).add(R0, 39);
		a.label(digit);
		put(s, f, dst);
		a.label(skip);
	}
}

function ipv6(s: State, f: Frame, dst: number, src: number): void {
	const a = s.a;
	const done = label(s, "in6_done");
	// The longest run of zero groups: R3 the current run's length, R4 its start, R5 the best length.
	a.mov(R4, 0).mov(R5, 0);
	setWordImm(s, f, 1, -1);
	setWordImm(s, f, 3, 0);
	for (let g = 0; g < 8; g++) {
		const next = label(s, "in6_next");
		const cont = label(s, "in6_cont");
		group(s, src, g);
		a.mov(R0, R3);
		getWord(s, R3, f, 3);
		a.jeq(R0, 0, cont).mov(R3, 0);
		setWord(s, f, 3, R3);
		a.ja(next);
		a.label(cont);
		const started = label(s, "in6_started");
		a.jne(R3, 0, started).mov(R4, g);
		a.label(started);
		a.add(R3, 1);
		setWord(s, f, 3, R3);
		a.jle(R3, R5, next).mov(R5, R3);
		setWord(s, f, 1, R4);
		a.label(next);
	}
	// A single zero group is not a run.
	const run = label(s, "in6_run");
	a.jge(R5, 2, run).mov(R5, 0);
	setWordImm(s, f, 1, -1);
	a.label(run);
	setWord(s, f, 2, R5);
	for (let g = 0; g < 8; g++) {
		const out = label(s, "in6_out");
		const next = label(s, "in6_gnext");
		// In the run: its first group writes the ':' of "::", the others nothing.
		getWord(s, R4, f, 1);
		getWord(s, R5, f, 2);
		a.jeq(R5, 0, out).jsgt(R4, g, out);
		a.add(R5, R4).jsle(R5, g, out);
		a.jne(R4, g, next);
		putChar(s, f, dst, ":");
		a.ja(next);
		a.label(out);
		if (g > 0) putChar(s, f, dst, ":");
		if (g === 6) {
			// ::a.b.c.d (a run of the 6 first groups) and ::ffff:a.b.c.d.
			const hex = label(s, "in6_hex");
			const quad = label(s, "in6_quad");
			getWord(s, R4, f, 1);
			getWord(s, R5, f, 2);
			a.jne(R4, 0, hex).jeq(R5, 6, quad).jne(R5, 5, hex);
			group(s, src, 5);
			a.jne(R3, 0xffff, hex);
			a.label(quad);
			dottedQuad(s, f, dst, src, 12);
			a.ja(done);
			a.label(hex);
		}
		hexGroup(s, f, dst, g, src);
		a.label(next);
	}
	// A run to the end: the second ':' of "::".
	getWord(s, R4, f, 1);
	getWord(s, R5, f, 2);
	a.jeq(R5, 0, done).add(R4, R5).jne(R4, 8, done);
	putChar(s, f, dst, ":");
	a.label(done);
}

function inet(s: State, e: Extract<StrExpr, { k: "inet" }>, off: number, size: number): void {
	const a = s.a;
	const { f, leave } = enter(s, 1);
	try {
		const src = f.strs[0]!;
		materializeStr(s, e.src, src, strSlot(s));
		const afSlot = slot(s.depth);
		evalInt(s, e.af);
		a.stx(8, R10, afSlot, R0);
		zero(s, off, size);
		setWordImm(s, f, POS, 0);
		const v6 = label(s, "in_v6");
		const done = label(s, "in_done");
		a.ldx(8, R0, R10, afSlot);
		a.jeq(R0, AF_INET6, v6);
		if (s.fault) {
			const v4 = label(s, "in_v4");
			a.jeq(R0, AF_INET, v4);
			raise(s, ILLOP, undefined);
			a.label(v4);
		}
		dottedQuad(s, f, off, src, 0);
		a.ja(done);
		a.label(v6);
		ipv6(s, f, off, src);
		a.label(done);
	} finally {
		leave();
	}
}

/** R2 = the size for copyinstr(addr, len) from the length in R0: at most len bytes (and strsize - 1), and the NUL. */
export function copyinLen(s: State, n: number): void {
	const a = s.a;
	const ok = label(s, "cil_ok");
	const small = label(s, "cil_small");
	// R2 = min(len, n - 1) + 1 (the helper's size counts the NUL); a length below 1 reads "".
	a.jsgt(R0, 0, small).mov(R0, 0);
	a.label(small);
	a.jslt(R0, n - 1, ok).mov(R0, n - 1);
	a.label(ok);
	a.mov(R2, R0).add(R2, 1);
}
