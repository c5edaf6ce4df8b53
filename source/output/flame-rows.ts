// The rows a flame graph draws, from a session's picture: every row of every
// aggregation keyed by ustack() or kstack(), weighted by its value (count()
// counts firings; sum() and the others weigh by what they add up). Other key
// parts (`@[execname, ustack()]`) become the outermost frames, as folded-stack
// tools put them, so each process or name gets its own tower.
import type { KeyPart, SessionView } from "../session/view.ts";
import type { FlameRow } from "./flame-tree.ts";

function keyFrame(k: KeyPart): string {
	return k.kind === "stack" ? "" : String(k.value);
}

/** Flame rows of the stack aggregations in `view` (none when no aggregation is keyed by a stack). */
export function flameRowsOf(view: SessionView): FlameRow[] {
	const rows: FlameRow[] = [];
	for (const e of view.enablings)
		for (const a of e.aggregations)
			for (const r of a.rows) {
				const stack = r.key.find((k) => k.kind === "stack");
				if (stack?.kind !== "stack") continue;
				const outer = r.key.filter((k) => k.kind !== "stack").map(keyFrame);
				const count = Math.abs(r.value);
				if (count > 0) rows.push({ frames: [...stack.frames, ...outer.reverse()], count });
			}
	return rows;
}
