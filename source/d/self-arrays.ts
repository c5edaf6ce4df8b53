// self->a[k, ...]: thread-local associative arrays. The subset has one kind of
// array element (AssocRef: an array's name and its keys), so narrowing a
// program to it renames such an element's base to `self->a`, a name no D
// identifier can have: it keys the array's type (`assoc:self->a`), prints back
// as written, and the lowering (source/session/lower-self.ts) puts the thread
// id in front of its keys, as DTrace's dynamic variables are per thread.
import type { Expr } from "./syntax.ts";

const PREFIX = "self->";

/** Turn `self->a[k]` into the subset's array element named `self->a` (in place); true when it was one. */
export function selfArrayAsAssoc(e: Expr): boolean {
	if (e.kind !== "index" || e.base.kind !== "self") return false;
	const base = e.base;
	Object.assign(e, { base: { kind: "ident", name: `${PREFIX}${base.name}`, pos: base.pos } });
	return true;
}

/** Is the array of this name a thread-local one? */
export function isSelfArray(name: string): boolean {
	return name.startsWith(PREFIX);
}

/** The name an array declared `self T name[...]` goes by. */
export function selfArrayName(name: string): string {
	return `${PREFIX}${name}`;
}
