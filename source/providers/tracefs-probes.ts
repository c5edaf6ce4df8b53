// What syscall and sdt probes share: they are tracefs events, so their
// arguments, `-l -v` lines and JSON come from the event's format file.
import type { TracepointRef } from "../catalog/probe.ts";
import { escapeForTerminal } from "../util/escape.ts";
import type { ArgInfo, TracepointField } from "./types.ts";

/** The record's fields a clause can read as argN (common fields left out). */
export function tracepointFields(format: () => { fields: readonly unknown[] }): TracepointField[] {
	const f = format().fields as {
		name: string;
		offset: number;
		size: number;
		signed: boolean;
		common?: boolean;
		type?: string;
	}[];
	return f
		.filter((x) => !x.common && !x.name.startsWith("common_"))
		.map((x) => ({
			name: x.name,
			offset: x.offset,
			size: x.size,
			signed: x.signed,
			integer: !(x.type ?? "").includes("[") && !(x.type ?? "").includes("__data_loc"),
		}));
}

/** The event's arguments: its non-common fields, those of a `char *` type possibly strings. */
export function tracefsArgs(format: () => { fields: { name: string; type: string; common: boolean }[] }): ArgInfo {
	let fields: { name: string; type: string }[];
	try {
		fields = format().fields.filter((f) => !f.common && f.name !== "__syscall_nr");
	} catch {
		fields = [];
	}
	const args = fields.map((_, i) => i);
	const strings = args.filter((i) => /char\s*\*/.test(fields[i].type));
	return { args, strings, kernel: true };
}

/**
 * `-l -v`'s lines for a tracefs event: the event and its id, `extra`, then a
 * line per field (`args[i]: ` before each when `numbered`).
 */
export function tracepointLines(tp: TracepointRef, numbered: boolean, extra: string[] = []): string[] {
	const out = [`tracepoint ${tp.group}:${tp.event} (id ${tp.id})`, ...extra];
	let i = 0;
	for (const f of tp.format().fields) {
		if (f.common || f.name === "__syscall_nr") continue;
		const argn = numbered ? `args[${i++}]: ` : "";
		out.push(`${argn}${escapeForTerminal(f.type)} ${escapeForTerminal(f.name)}  (offset ${f.offset}, size ${f.size})`);
	}
	return out;
}

/** What `-l -v --json` adds for a tracefs event: the event and its fields. */
export function tracepointJson(tp: TracepointRef): Record<string, unknown> {
	const f = tp.format();
	return {
		tracepoint: { group: tp.group, event: tp.event, id: f.id },
		fields: f.fields.filter((x) => !x.common),
	};
}
