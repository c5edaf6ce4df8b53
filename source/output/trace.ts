// Per-event output as dtrace(1) prints it: the default action's line
// ("CPU     ID                    FUNCTION:NAME" once, then "%3d %6d %32s "
// per record, the actions' output, a newline), trace() of each type (padded
// in columns unless quiet), stack()/ustack() one frame a line, sym()-family
// actions in 50 columns, raw bytes as DTrace's hex dump.

import { escapeForTerminal } from "../util/escape.ts";
import { cFloat, cInteger, cString } from "./cformat.ts";
import type { DValue, ProbeName } from "./model.ts";
import { cValue, type FormatContext, stackIndent, tracedString } from "./printf.ts";
import { stackText, symText } from "./symbols.ts";

/** The default action's heading (dtrace's "%3s %6s %32s"). */
export function defaultHeader(testing = false): string {
	return testing ? `${"FUNCTION:NAME".padStart(32)}\n` : `CPU ${"ID".padStart(6)} ${"FUNCTION:NAME".padStart(32)}\n`;
}

/**
 * The start of a record's line: CPU, probe id, "function:name" right-aligned
 * in 32 columns, and a space (BEGIN, END and profile probes have no function:
 * ":BEGIN"). With `testing`, only the name, as dtrace under its test suite.
 */
export function probeLinePrefix(cpu: number, probe: ProbeName, testing = false): string {
	const name = cString(`${escapeForTerminal(probe.function)}:${escapeForTerminal(probe.name)}`, { width: 32 });
	return testing ? `${name} ` : `${cpu.toString().padStart(3)} ${probe.id.toString().padStart(6)} ${name} `;
}

/** DTrace's dt_print_rawbytes: an offset column, 16 bytes a line in hex, then as characters. */
export function rawBytes(bytes: Uint8Array): string {
	if (!bytes.length) return "";
	let out = `\n${" ".repeat(5)}      `;
	for (let i = 0; i < 16; i++) out += `  ${"0123456789abcdef"[i]}`;
	out += "  0123456789abcdef\n";
	for (let i = 0; i < bytes.length; i += 16) {
		const line = bytes.subarray(i, i + 16);
		out += `${" ".repeat(5)}${i.toString(16).padStart(5)}:`;
		for (const b of line) out += ` ${b.toString(16).padStart(2, "0")}`;
		out += "   ".repeat(16 - line.length);
		out += "  ";
		for (const b of line) out += b < 0x20 || b > 0x7e ? "." : String.fromCharCode(b);
		out += "\n";
	}
	return out;
}

const TRACE_WIDTH = { signed: { 8: 19, 4: 10, 2: 5, 1: 3 }, unsigned: { 8: 20, 4: 10, 2: 5, 1: 3 } } as const;

/**
 * trace(expr): strings "  %-33s" (quiet: as they are), integers " %19ld",
 * " %20lu", " %10d" ... by size and sign (quiet: bare), stacks and
 * addresses as their actions print them, other data as a hex dump.
 */
export function formatTrace(v: DValue, quiet: boolean, ctx: FormatContext = {}): string {
	switch (v.kind) {
		case "string": {
			const s = v.trusted ? v.value : tracedString(v.value, ctx);
			return quiet ? s : `  ${cString(s, { width: 33, left: true })}`;
		}
		case "int": {
			const n = cInteger(cValue(v, v.signed), v.signed ? "d" : "u");
			const w = (v.signed ? TRACE_WIDTH.signed : TRACE_WIDTH.unsigned)[v.size];
			return quiet ? n : ` ${n.padStart(w)}`;
		}
		case "float": {
			const n = cFloat(v.value, "g");
			return quiet ? n : ` ${n.padStart(19)}`;
		}
		case "bytes":
			return rawBytes(v.bytes);
		case "stack":
			return stackText(v, stackIndent(ctx), {}, ctx.symbolize);
		case "sym":
			return formatSymAction(v, ctx);
	}
}

/** func() sym() mod() usym() ufunc() umod() uaddr() as actions: "  %-50s". */
export function formatSymAction(v: Extract<DValue, { kind: "sym" }>, ctx: FormatContext = {}): string {
	return `  ${cString(symText(v, ctx.symbolize), { width: 50, left: true })}`;
}
