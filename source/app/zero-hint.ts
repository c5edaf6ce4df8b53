// "No probes match" for a -c command's user-space probes: the command may map
// the object later (a library it opens with dlopen, a JIT's libjvm.so), so say
// that -Z waits for it.
import { STATIC_PROVIDERS } from "../catalog/index.ts";

/** The hint to add to `message`, "" when none applies. */
export function zeroHint(message: string, opts: { command?: string; zero?: boolean }): string {
	if (!opts.command || opts.zero) return "";
	const m = /^no probes match '([^']*)'/.exec(message);
	if (!m) return "";
	const fields = m[1].split(":");
	// A kernel, profile or fbt probe does not come with a library.
	if (fields.length === 4 && (STATIC_PROVIDERS as readonly string[]).includes(fields[0])) return "";
	return " The command may load it later (a library it opens with dlopen): add -Z to enable it when it appears.";
}
