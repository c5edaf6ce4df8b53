// What Space on a probe-tree row enables, as probe descriptions: the row's path
// (a program's group row becomes a glob over all its processes, present and
// future: `prefork[0-9]*:::`), narrowed to what the tree's filter shows.
import { compileGlob, isGlob, parseDescription, STATIC_PROVIDERS } from "../catalog/index.ts";

type Fields = [provider: string, module: string, fn: string, name: string];

/** A literal name as a description field (glob characters escaped). */
export function literal(name: string): string {
	return name.replace(/[*?[\]\\]/g, "\\$&");
}

/** Whether a top-level row groups the processes of one program (USDT and pid providers). */
export function isGroup(top: string): boolean {
	return !(STATIC_PROVIDERS as readonly string[]).includes(top);
}

/** The provider glob of every process of a grouped program: its name and a pid. */
export function groupGlob(group: string): string {
	return `${literal(group)}[0-9]*`;
}

/** The description fields of a tree path; undefined where the path does not fix a field. */
function pathFields(path: readonly string[]): (string | undefined)[] {
	if (path.length === 0) return [undefined, undefined, undefined, undefined];
	const grouped = isGroup(path[0]);
	const provider = grouped ? (path.length > 1 ? literal(path[1]) : groupGlob(path[0])) : literal(path[0]);
	const rest = (grouped ? path.slice(2) : path.slice(1)).map(literal);
	const out: (string | undefined)[] = [provider, ...rest];
	while (out.length < 4) out.push(undefined);
	return out;
}

/** The description of a tree path: every probe below it. */
export function describePath(path: readonly string[]): string {
	return pathFields(path)
		.map((f) => f ?? "")
		.join(":");
}

/**
 * The descriptions that enable exactly what `filter` shows below `path`. A
 * description filter narrows each field the path leaves open; a bare word
 * (matched against any field) gives one description per field it can match.
 */
export function describeFiltered(path: readonly string[], filter: string | undefined, target?: number): string[] {
	const fields = pathFields(path);
	const f = filter?.trim();
	if (!f) return [describePath(path)];
	const fixedByPath = (i: number) => fields[i] !== undefined && !(i === 0 && path.length === 1 && isGroup(path[0]));
	if (f.includes(":")) {
		const d = parseDescription(f, target);
		const want: Fields = [d.provider, d.module, d.function, d.name];
		const out = fields.map((p, i) => {
			if (fixedByPath(i)) return p as string;
			const w = want[i];
			// A group row's glob and a provider in the filter: the filter's is the narrower one.
			if (w !== "" && w !== "*") return w;
			return p ?? "";
		});
		return [out.join(":")];
	}
	const word = isGlob(f) ? f : `*${literal(f)}*`;
	const matches = compileGlob(word);
	const raw = isGroup(path[0]) ? path.slice(1) : path;
	const out: string[] = [];
	if (path.length === 1 && isGroup(path[0])) {
		// A program's row: its processes' providers all start with its name.
		if (matches(path[0])) return [describePath(path)];
		out.push([`${literal(path[0])}${word.startsWith("*") ? word : `*${word}`}`, "", "", ""].join(":"));
	}
	for (let i = 0; i < 4; i++) {
		if (i === 0 && path.length === 1 && isGroup(path[0])) continue;
		if (fixedByPath(i)) {
			// A field of the row itself matches: everything below the row is shown.
			if (matches(raw[i])) return [describePath(path)];
			continue;
		}
		out.push(fields.map((p, j) => (j === i ? word : (p ?? ""))).join(":"));
	}
	return out;
}
