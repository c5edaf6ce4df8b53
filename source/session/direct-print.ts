// The fast path of per-event output: a clause's record layout compiled once
// into a list of operations that write its text straight from the ring
// buffer's bytes into one output buffer, with no EventRecord, DValue or
// string per record for the common conversions (%d %i %u of an integer, %s
// of a string that needs no escaping, literal text, the default action's
// line prefix). Everything else a printf()/trace() can print goes through the
// same converters as the general path (source/output/printf.ts), so the text
// is byte-for-byte what EventFormatter would write. Layouts with actions the
// fast path does not do (exit, printa, stacks, symbols, speculations, the
// aggregation operations) compile to undefined: their records take the
// general path (source/session/events.ts).
import type { DValue, ProbeName } from "../output/model.ts";
import { convert, type FormatContext, formatPrintf, specOf } from "../output/printf.ts";
import { type Conversion, parseFormat } from "../output/printf-format.ts";
import { formatTrace } from "../output/trace.ts";
import { type ArgLayout, cutString, type RecordLayout } from "./records.ts";

export interface DirectOptions {
	quiet: boolean;
	testing: boolean;
	ctx: FormatContext;
}

/** Text built up over one drain, then written once. */
export class OutBuf {
	buf = Buffer.allocUnsafe(1 << 20);
	pos = 0;

	ensure(n: number): void {
		if (this.pos + n <= this.buf.length) return;
		let size = this.buf.length * 2;
		while (size < this.pos + n) size *= 2;
		const b = Buffer.allocUnsafe(size);
		this.buf.copy(b, 0, 0, this.pos);
		this.buf = b;
	}

	bytes(b: Buffer): void {
		const n = b.length;
		this.ensure(n);
		if (n > 32) {
			b.copy(this.buf, this.pos);
			this.pos += n;
			return;
		}
		// Short pieces (most): a loop costs less than Buffer.copy's checks.
		const t = this.buf;
		let w = this.pos;
		for (let i = 0; i < n; i++) t[w++] = b[i]!;
		this.pos = w;
	}

	text(s: string): void {
		this.ensure(s.length * 3);
		this.pos += this.buf.write(s, this.pos, "utf8");
	}

	/** An integer below 2^53 in magnitude, in decimal. */
	decimal(value: number): void {
		this.ensure(24);
		const b = this.buf;
		let v = value;
		if (v < 0) {
			b[this.pos++] = 45;
			v = -v;
		}
		let len = 1;
		for (let t = v; t >= 10; t = Math.floor(t / 10)) len++;
		let at = this.pos + len;
		this.pos = at;
		do {
			b[--at] = 48 + (v % 10);
			v = Math.floor(v / 10);
		} while (v > 0);
	}
}

type Op =
	| { k: "lit"; bytes: Buffer }
	/** An integer of `size` bytes at `off`, in decimal. */
	| { k: "dec"; off: number; size: number; signed: boolean }
	/** A string at `off` (past copyinstr's 16 bytes of result and address), at most `size` bytes; `slow` when it needs escaping. */
	| { k: "str"; off: number; size: number; slow: (s: string) => string }
	| { k: "gen"; text: (data: Buffer, base: number) => string }
	/** Skip the next `n` operations when the u64 at `off` is 0 (an action inside an untaken branch). */
	| { k: "guard"; off: number; n: number };

export interface Printer {
	ops: Op[];
	/** Offsets of copyinstr() results: a negative one is a fault, for the general path to report. */
	copyins: number[];
	/** The default action's line prefix and the newline after the record (not quiet). */
	line: boolean;
}

const TWO32 = 4294967296;

/** Reads an argument as the general path's readArg does (records.ts), for the converters. */
function argValue(a: ArgLayout, data: Buffer, base: number, probe: () => ProbeName): DValue {
	switch (a.k) {
		case "const":
			return { kind: "string", value: a.value, trusted: a.trusted };
		case "probe":
			return { kind: "string", value: cutString(probe()[a.field], a.max) };
		case "int": {
			const raw = data.readBigUInt64LE(base + a.off);
			const bits = a.size * 8;
			const value = a.signed ? BigInt.asIntN(bits, raw) : BigInt.asUintN(bits, raw);
			return { kind: "int", value, size: a.size, signed: a.signed };
		}
		case "str": {
			const at = base + a.off + (a.copyin ? 16 : 0);
			let stop = at;
			while (stop < at + a.size && data[stop] !== 0) stop++;
			return { kind: "string", value: data.toString("utf8", at, stop) };
		}
		case "sym":
			throw new Error("symbols take the general path.");
	}
}

/** Compiles a layout; undefined when its records must take the general path. */
export function compilePrinter(
	layout: RecordLayout,
	o: DirectOptions,
	nameOf: (id: number) => ProbeName,
): Printer | undefined {
	if (layout.phase) return undefined; // BEGIN's and END's records are ordered around the rest
	const ops: Op[] = [];
	const copyins: number[] = [];
	const lit = (s: string) => {
		if (s) ops.push({ k: "lit", bytes: Buffer.from(s, "utf8") });
	};
	const probeAt = (data: Buffer, base: number) => () => nameOf(data.readUInt32LE(base + 4));
	const argOk = (a: ArgLayout) => {
		if (a.k === "sym") return false;
		if (a.k === "str" && a.copyin) copyins.push(a.off);
		return true;
	};
	for (const a of layout.actions) {
		const start = ops.length;
		if (a.kind === "printf") {
			if (!a.args.every(argOk)) return undefined;
			const parsed = parseFormat(a.format);
			if (parsed.conversions.some((cv) => cv.dynWidth || cv.dynPrecision || cv.agg)) {
				const args = a.args;
				ops.push({
					k: "gen",
					text: (data, base) =>
						formatPrintf(
							parsed,
							args.map((x) => argValue(x, data, base, probeAt(data, base))),
							o.ctx,
						),
				});
			} else {
				let n = 0;
				for (const cv of parsed.conversions) {
					lit(cv.prefix);
					if (cv.info.cls === "percent") {
						lit("%");
						continue;
					}
					const arg = a.args[n++];
					if (!arg) return undefined; // the checker reports missing arguments; the general path says so
					conversion(cv, arg, o, ops, lit, probeAt);
				}
				lit(parsed.suffix);
			}
		} else if (a.kind === "trace") {
			const arg = a.arg;
			if (!argOk(arg)) return undefined;
			if (arg.k === "const")
				lit(
					formatTrace(
						argValue(arg, Buffer.alloc(0), 0, () => nameOf(0)),
						o.quiet,
						o.ctx,
					),
				);
			else if (o.quiet && arg.k === "int") ops.push({ k: "dec", off: arg.off, size: arg.size, signed: arg.signed });
			else if (o.quiet && arg.k === "str")
				ops.push({ k: "str", off: arg.off + (arg.copyin ? 16 : 0), size: arg.size, slow: slowString(o.ctx) });
			else
				ops.push({
					k: "gen",
					text: (data, base) => formatTrace(argValue(arg, data, base, probeAt(data, base)), o.quiet, o.ctx),
				});
		} else return undefined;
		if (a.guard !== undefined) ops.splice(start, 0, { k: "guard", off: a.guard, n: ops.length - start });
	}
	return { ops, copyins, line: !o.quiet };
}

/** The text a string with bytes beyond plain ASCII gets: as formatTrace/convert write it (escaped on terminals). */
function slowString(ctx: FormatContext): (s: string) => string {
	return (s) => formatTrace({ kind: "string", value: s }, true, ctx);
}

function conversion(
	cv: Conversion,
	arg: ArgLayout,
	o: DirectOptions,
	ops: Op[],
	lit: (s: string) => void,
	probeAt: (data: Buffer, base: number) => () => ProbeName,
): void {
	const spec = specOf(cv, cv.width, cv.precision);
	const plain =
		!cv.alt && !cv.zero && !cv.left && !cv.plus && !cv.space && !cv.group && cv.width === 0 && cv.precision <= 0;
	const { cls, ofmt } = cv.info;
	if (arg.k === "const") {
		lit(convert(cv, spec, { kind: "string", value: arg.value, trusted: arg.trusted }, o.ctx));
		return;
	}
	if (
		plain &&
		arg.k === "int" &&
		(cls === "sint" || cls === "uint") &&
		(ofmt === "d" || ofmt === "i" || ofmt === "u")
	) {
		// As convert(): %d and %i follow the argument's signedness, %u is unsigned.
		const signed = cls === "sint" && (arg.signed || (cv.name !== "d" && cv.name !== "i"));
		ops.push({ k: "dec", off: arg.off, size: arg.size, signed });
		return;
	}
	if (plain && arg.k === "str" && cls === "string") {
		ops.push({
			k: "str",
			off: arg.off + (arg.copyin ? 16 : 0),
			size: arg.size,
			slow: (s) => convert(cv, spec, { kind: "string", value: s }, o.ctx),
		});
		return;
	}
	ops.push({
		k: "gen",
		text: (data, base) => convert(cv, spec, argValue(arg, data, base, probeAt(data, base)), o.ctx),
	});
}

/** The ring's bytes, and the same memory as 32-bit words (records and their integers are 8-byte aligned). */
export interface RingView {
	data: Buffer;
	u32: Uint32Array;
	i32: Int32Array;
}

/** Writes one record (at `base` in `data`) with its printer. */
export function runPrinter(p: Printer, v: RingView, base: number, out: OutBuf, raw: boolean): void {
	const ops = p.ops;
	const data = v.data;
	for (let i = 0; i < ops.length; i++) {
		const op = ops[i]!;
		switch (op.k) {
			case "lit":
				out.bytes(op.bytes);
				break;
			case "dec":
				writeInt(v, base + op.off, op.size, op.signed, out);
				break;
			case "str": {
				const at = base + op.off;
				const end = at + op.size;
				out.ensure(op.size);
				const b = out.buf;
				let w = out.pos;
				let plain = true;
				let stop = at;
				for (; stop < end; stop++) {
					const c = data[stop]!;
					if (c === 0) break;
					// Raw output (a pipe or file) takes ASCII as it is; a terminal only what needs no escape.
					if (c >= 0x80 || (!raw && (c < 0x20 || c === 0x7f))) plain = false;
					b[w++] = c;
				}
				if (plain) out.pos = w;
				else out.text(op.slow(data.toString("utf8", at, stop)));
				break;
			}
			case "gen":
				out.text(op.text(data, base));
				break;
			case "guard": {
				const w = (base + op.off) >>> 2;
				if (v.u32[w] === 0 && v.u32[w + 1] === 0) i += op.n;
				break;
			}
		}
	}
}

function writeInt(v: RingView, at: number, size: number, signed: boolean, out: OutBuf): void {
	const w = at >>> 2;
	switch (size) {
		case 1:
			out.decimal(signed ? (v.data[at]! << 24) >> 24 : v.data[at]!);
			return;
		case 2:
			out.decimal(signed ? ((v.u32[w]! & 0xffff) << 16) >> 16 : v.u32[w]! & 0xffff);
			return;
		case 4:
			out.decimal(signed ? v.i32[w]! : v.u32[w]!);
			return;
	}
	const lo = v.u32[w]!;
	const hi = v.u32[w + 1]!;
	if (hi < 0x200000) out.decimal(hi * TWO32 + lo);
	else if (signed && hi >= 0xffe00000) out.decimal((hi - TWO32) * TWO32 + lo);
	else out.text((signed ? v.data.readBigInt64LE(at) : v.data.readBigUInt64LE(at)).toString());
}
