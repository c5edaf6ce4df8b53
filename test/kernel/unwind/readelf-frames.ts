// binutils' `readelf -wF` (the interpreted call frame table) as an independent
// oracle for the CFA interpreter: one row per address where a rule changes,
// with the CFA column ("rsp+8", "rbp+16", "exp") and one column per register
// ("c-16" saved at CFA-16, "u" no rule or undefined, "s" same value, "exp",
// "v+N" value, "rN" another register).
import { spawnSync } from "node:child_process";

export interface ReadelfRow {
	address: number;
	cfa: string;
	regs: Record<string, string>;
	/** The FDE's range, from its header line. */
	fdeStart: number;
	fdeEnd: number;
	/** The section the table came from. */
	section: string;
}

export interface ReadelfFrames {
	rows: ReadelfRow[];
	/** Every FDE's range (including those readelf prints no rows for: the CIE's rule holds). */
	fdes: { start: number; end: number }[];
}

export function readelfFrames(path: string): ReadelfFrames {
	// readelf exits with 1 when the object has no DWARF sections besides the frames.
	const r = spawnSync("readelf", ["-wF", path], { encoding: "utf8", maxBuffer: 1 << 30 });
	if (r.error || !r.stdout.includes("Contents of the")) {
		throw new Error(`readelf -wF ${path} printed no frame table (${r.error ?? r.stderr})`);
	}
	const out = r.stdout;
	const rows: ReadelfRow[] = [];
	const fdes: { start: number; end: number }[] = [];
	let columns: string[] = [];
	let fde: { start: number; end: number } | undefined;
	let section = "";
	for (const line of out.split("\n")) {
		const sec = /^Contents of the (\S+) section/.exec(line);
		if (sec) {
			section = sec[1];
			continue;
		}
		const f = / FDE cie=[0-9a-f]+ pc=([0-9a-f]+)\.\.([0-9a-f]+)/.exec(line);
		if (f) {
			fde = { start: Number.parseInt(f[1], 16), end: Number.parseInt(f[2], 16) };
			fdes.push(fde);
			columns = [];
			continue;
		}
		if (/ CIE /.test(line) || line.includes("ZERO terminator")) {
			fde = undefined;
			continue;
		}
		if (/^ {3}LOC +CFA/.test(line)) {
			columns = line.trim().split(/\s+/).slice(2);
			continue;
		}
		const m = /^([0-9a-f]{16}) (.*)$/.exec(line);
		if (!m || !fde) continue;
		// A cell is one word, or "r3 (rbx)" for a rule naming another register.
		const cells = [...m[2].matchAll(/\S+(?: \([^)]*\))?/g)].map((c) => c[0]);
		const regs: Record<string, string> = {};
		columns.forEach((c, i) => {
			regs[c] = cells[i + 1] ?? "u";
		});
		rows.push({
			address: Number.parseInt(m[1], 16),
			cfa: cells[0],
			regs,
			fdeStart: fde.start,
			fdeEnd: fde.end,
			section,
		});
	}
	return { rows, fdes };
}
