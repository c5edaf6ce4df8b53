// The probe tree's filter: a probe description with globs (`syscall::*read*:entry`,
// fields ANDed) or a bare word matched against any field (`read`).
import { compileGlob, isGlob, type Named, parseDescription } from "../catalog/index.ts";

export interface TreeFilter {
	readonly text: string;
	/** A description (every field must match), not a word (any field may). */
	readonly description: boolean;
	readonly provider: (s: string) => boolean;
	readonly module: (s: string) => boolean;
	readonly fn: (s: string) => boolean;
	readonly name: (s: string) => boolean;
	test(p: Named): boolean;
}

const anything = () => true;

/** The filter `text` stands for (undefined for none); throws DescriptionError for a bad description. */
export function treeFilter(text: string | undefined, target?: number): TreeFilter | undefined {
	const t = text?.trim();
	if (!t) return undefined;
	if (t.includes(":")) {
		const d = parseDescription(t, target);
		const [provider, module, fn, name] = [d.provider, d.module, d.function, d.name].map((x) =>
			x ? compileGlob(x) : anything,
		);
		return {
			text: t,
			description: true,
			provider,
			module,
			fn,
			name,
			test: (p) => provider(p.provider) && module(p.module) && fn(p.function) && name(p.name),
		};
	}
	const g = isGlob(t) ? compileGlob(t) : (s: string) => s.includes(t);
	return {
		text: t,
		description: false,
		provider: g,
		module: g,
		fn: g,
		name: g,
		test: (p) => g(p.provider) || g(p.module) || g(p.function) || g(p.name),
	};
}
