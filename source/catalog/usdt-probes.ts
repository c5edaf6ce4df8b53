// A process's USDT probes from the objects it maps: one probe per provider,
// module, function and name (its sites: every note of that name), named
// `${provider}${pid}`. Probes whose sites did not change keep their ids.
import type { MappedObject } from "./objects.ts";
import type { UsdtProbe, UsdtSite } from "./probe.ts";

const dtraceName = (n: string) => n.replaceAll("__", "-");

export interface UsdtRebuild {
	next: UsdtProbe[];
	added: UsdtProbe[];
	removed: UsdtProbe[];
}

/** The USDT probes of process `pid` mapping `objects`, reusing those of `old` that are unchanged. */
export function rebuildUsdt(
	pid: number,
	objects: readonly MappedObject[],
	old: readonly UsdtProbe[],
	nextId: () => number,
): UsdtRebuild {
	const previous = new Map(old.map((p) => [`${p.provider}\0${p.module}\0${p.function}\0${p.name}`, p]));
	const groups = new Map<string, { note: MappedObject["usdt"][number]; obj: MappedObject; sites: UsdtSite[] }>();
	for (const obj of objects) {
		for (const note of obj.usdt) {
			const key = `${note.provider}${pid}\0${obj.module}\0${note.function}\0${dtraceName(note.name)}`;
			let g = groups.get(key);
			if (!g) groups.set(key, (g = { note, obj, sites: [] }));
			g.sites.push({
				path: obj.path,
				openPath: obj.openPath,
				dev: obj.dev,
				inode: obj.inode,
				pcOffset: note.pcOffset,
				semaphoreOffset: note.semaphoreOffset,
				args: note.args,
			});
		}
	}
	const out: UsdtRebuild = { next: [], added: [], removed: [] };
	const sorted = [...groups.entries()].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
	for (const [key, g] of sorted) {
		const was = previous.get(key);
		if (was && sameSites(was.sites, g.sites)) {
			previous.delete(key);
			out.next.push(was);
			continue;
		}
		const p: UsdtProbe = {
			id: nextId(),
			provider: `${g.note.provider}${pid}`,
			module: g.obj.module,
			function: g.note.function,
			name: dtraceName(g.note.name),
			kind: "usdt",
			pid,
			usdtProvider: g.note.provider,
			usdtName: g.note.name,
			sites: g.sites,
		};
		out.next.push(p);
		out.added.push(p);
	}
	out.removed.push(...previous.values());
	return out;
}

function sameSites(a: readonly UsdtSite[], b: readonly UsdtSite[]): boolean {
	if (a.length !== b.length) return false;
	for (let i = 0; i < a.length; i++) {
		const x = a[i];
		const y = b[i];
		if (
			x.inode !== y.inode ||
			x.dev !== y.dev ||
			x.pcOffset !== y.pcOffset ||
			x.semaphoreOffset !== y.semaphoreOffset
		) {
			return false;
		}
	}
	return true;
}
