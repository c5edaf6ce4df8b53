// A catalog probe as the session identifies it once attached on its file
// (its provider's onFile(): uprobe's `u:DEV:INODE:OFFSET:RET:0`), so the tree can tell that
// an enabling made from one process's probe covers this process's too.
import type { Probe } from "../catalog/index.ts";
import { kindOf } from "../providers/index.ts";

function fileKeys(p: Probe): string[] {
	return kindOf(p).onFile?.(p) ?? [];
}

/** Whether every site of `p` is among the probes attached on their file (`onFile`, session.onFileProbes()). */
export function coveredOnFile(p: Probe | undefined, onFile: ReadonlySet<string>): boolean {
	if (!p || onFile.size === 0) return false;
	const keys = fileKeys(p);
	return keys.length > 0 && keys.every((k) => onFile.has(k));
}
