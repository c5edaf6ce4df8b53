// Addresses and stacks as DTrace writes them: `module`symbol+0xoff`,
// `module`0xaddr` when only the mapping is known, `0xaddr` when nothing is;
// sym()/func() without the offset, mod()/umod() as the module alone; stack()
// and ustack() one frame a line under a 14-column indent. User objects are
// named by their file name (DTrace's dt_basename). Every name is escaped: it
// comes from a binary the traced system may have been handed.

import { escapeForTerminal } from "../util/escape.ts";
import { type CSpec, cString } from "./cformat.ts";
import type { Resolved, StackValue, Symbolizer, SymValue } from "./model.ts";

/** DTrace's default indentation of stack frames (_dtrace_stkindent). */
export const STACK_INDENT = 14;

function hex(v: bigint): string {
	return `0x${BigInt.asUintN(64, v).toString(16)}`;
}

function objectName(module: string, user: boolean): string {
	if (!user) return module;
	const slash = module.lastIndexOf("/");
	return slash >= 0 ? module.slice(slash + 1) : module;
}

/** dtrace_addr2str / dtrace_uaddr2str: symbol+offset, module`address, or the address. */
export function addressText(addr: bigint, at: Resolved | undefined, user: boolean): string {
	const mod = at?.module !== undefined ? escapeForTerminal(objectName(at.module, user)) : undefined;
	if (mod !== undefined && at?.symbol !== undefined) {
		const sym = escapeForTerminal(at.symbol);
		const off = at.offset ?? 0n;
		return off > 0n ? `${mod}\`${sym}+${hex(off)}` : `${mod}\`${sym}`;
	}
	if (mod !== undefined) return `${mod}\`${hex(addr)}`;
	return hex(addr);
}

function resolve(v: { addr: bigint; pid?: number; at?: Resolved }, user: boolean, symbolize?: Symbolizer) {
	return v.at ?? symbolize?.(v.addr, user ? v.pid : undefined);
}

/** The text DTrace prints for sym() func() mod() usym() ufunc() umod() uaddr() values. */
export function symText(v: SymValue, symbolize?: Symbolizer): string {
	const user = v.fn.startsWith("u");
	const at = resolve(v, user, symbolize);
	switch (v.fn) {
		case "mod":
		case "umod":
			return at?.module !== undefined ? escapeForTerminal(objectName(at.module, user)) : hex(v.addr);
		case "sym":
		case "func":
		case "usym":
		case "ufunc":
			// The address is the symbol's start (DTrace normalizes these), so no offset.
			return addressText(v.addr, at && { module: at.module, symbol: at.symbol }, user);
		case "uaddr":
			return addressText(v.addr, at, user);
	}
}

/** One frame's text. */
export function frameText(s: StackValue, i: number, symbolize?: Symbolizer): string {
	if (s.text) return escapeForTerminal(s.text[i]);
	const f = s.frames[i];
	return addressText(f.pc, f.at ?? symbolize?.(f.pc, s.user ? s.pid : undefined), s.user);
}

function frameCount(s: StackValue): number {
	if (s.text) return s.text.length;
	const zero = s.frames.findIndex((f) => f.pc === 0n);
	return zero < 0 ? s.frames.length : zero;
}

/**
 * dt_print_stack / dt_print_ustack: a newline, then each frame indented and
 * formatted (printa's %k passes its width and flags), each on its own line.
 */
export function stackText(s: StackValue, indent = STACK_INDENT, spec: CSpec = {}, symbolize?: Symbolizer): string {
	let out = "\n";
	const pad = " ".repeat(Math.max(0, indent));
	const n = frameCount(s);
	for (let i = 0; i < n; i++) out += `${pad}${cString(frameText(s, i, symbolize), spec)}\n`;
	return out;
}
