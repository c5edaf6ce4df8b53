// The name of a code address in one object, for probe listings and probefunc:
// the function containing it, or, where no symbol contains it, the object and
// the ELF address (`postgres+0x4722d3`). "Contains" honours st_size: in a
// stripped program the nearest preceding .dynsym symbol is often an exported
// function that ended long before a static one (Debian's postgres: the
// query-start probe in the static exec_simple_query lies 0x133 bytes past
// pg_plan_queries, which is 220 bytes long), and naming the site after it
// would be wrong. A symbol without a size extends to the next symbol.
import { basename } from "node:path";
import type { ModuleSymbols } from "./module-symbols.ts";

/** The containing function's name, or `module+0xADDRESS` (never the nearest symbol's name plus a distance). */
export function siteLabel(symbols: Pick<ModuleSymbols, "lookup">, objectPath: string, vaddr: number): string {
	const hit = symbols.lookup(vaddr);
	if (hit?.name) return hit.name;
	return `${basename(objectPath)}+0x${vaddr.toString(16)}`;
}
