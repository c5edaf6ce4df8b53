// Parser for tracefs `events/GROUP/NAME/format` files: the layout of the record
// a tracepoint hands to a BPF program (offsets are relative to the start of the
// record, which is the context pointer of a BPF_PROG_TYPE_TRACEPOINT program).

export interface FormatField {
	/** Field name, e.g. `prev_comm`. */
	name: string;
	/** C type as the kernel spells it, array suffix included: `char[16]`, `__data_loc char[]`, `unsigned long[6]`. */
	type: string;
	offset: number;
	size: number;
	signed: boolean;
	/** One of the `common_*` fields every record starts with. */
	common: boolean;
	/** Element count of a fixed-size array field (`args[6]` → 6). */
	arrayLength?: number;
	/** `__data_loc`: the field holds (length << 16 | offset) of variable data in the record. */
	dataLoc: boolean;
}

export interface EventFormat {
	name: string;
	id: number;
	fields: FormatField[];
	printFmt: string;
}

const FIELD = /^\s*field:(.*?);\s*offset:(\d+);\s*size:(\d+);\s*(?:signed:(\d+);)?/;

/** Splits a C declaration `unsigned long args[6]` into its name and type. */
function splitDeclaration(decl: string): { name: string; type: string; arrayLength?: number } {
	const d = decl.trim();
	const m = /^(.*?)([A-Za-z_][A-Za-z0-9_]*)\s*((?:\[[^\]]*\])*)$/.exec(d);
	if (!m) return { name: d, type: "" };
	const base = m[1].trim();
	const dims = m[3];
	// `__data_loc char[] name`: the brackets belong to the base type.
	const type = (base + dims).replace(/\s+\[/g, "[").trim();
	const len = /^\[(\d+)\]$/.exec(dims);
	return len ? { name: m[2], type, arrayLength: Number(len[1]) } : { name: m[2], type };
}

/** Parses the text of a `format` file. Unknown lines are ignored, so newer kernels' additions do no harm. */
export function parseFormat(text: string): EventFormat {
	let name = "";
	let id = -1;
	let printFmt = "";
	const fields: FormatField[] = [];
	for (const line of text.split("\n")) {
		if (line.startsWith("name: ")) name = line.slice(6).trim();
		else if (line.startsWith("ID: ")) id = Number(line.slice(4).trim());
		else if (line.startsWith("print fmt: ")) printFmt = line.slice(11);
		else {
			const m = FIELD.exec(line);
			if (!m) continue;
			const decl = splitDeclaration(m[1]);
			const field: FormatField = {
				name: decl.name,
				type: decl.type,
				offset: Number(m[2]),
				size: Number(m[3]),
				signed: m[4] === "1",
				common: decl.name.startsWith("common_"),
				dataLoc: decl.type.startsWith("__data_loc") || decl.type.startsWith("__rel_loc"),
			};
			if (decl.arrayLength !== undefined) field.arrayLength = decl.arrayLength;
			fields.push(field);
		}
	}
	return { name, id, fields, printFmt };
}
