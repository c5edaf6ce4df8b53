// A clause's probe description that matches no probe is a compile error in
// DTrace (dt_cc.c's dt_setcontext), at the description's line, tagged
// D_PDESC_ZERO and worded with the description's four fields (as parsed, macros
// expanded):
//
//   dtrace: failed to compile script x.d: [D_PDESC_ZERO] line 3: probe description :::nosuch does not match any probes
//
// An unknown provider is no different to DTrace (`BEGIN::read:entry`). dtop's own
// explanation (why nothing matched, or that the provider is unknown) stays the
// SessionError's message (the interactive UI shows it; the CLI prints it with -v),
// and what helps beyond DTrace's words (fbt unavailable, a rate dtop does not
// sample at) rides along as `why`, which the CLI prints on a line of its own.
import { DError, type Position } from "../d/errors.ts";
import { SessionError } from "./errors.ts";

/** The D error of a description that matched nothing; `why` is dtop's advice, if any. */
export class NoProbesError extends DError {
	override readonly name = "NoProbesError";
	readonly why: string | undefined;
	constructor(pos: Position, reason: string, fields: string, why?: string) {
		super(pos, reason, "D_PDESC_ZERO", { dtrace: `probe description ${fields} does not match any probes` });
		this.why = why;
	}
}

type Fields = { provider: string; module: string; function: string; name: string };

/**
 * The SessionError for a description (`text` as written, `req` its fields with macros
 * expanded) that matched nothing. Its message starts "no probes match" (-Z's test);
 * `why` is advice DTrace does not give, `detail` an explanation only -v shows.
 */
export function noProbes(
	pos: Position,
	text: string,
	req: Fields,
	opts: { why?: string; detail?: string } = {},
): SessionError {
	const fields = `${req.provider}:${req.module}:${req.function}:${req.name}`;
	const extra = opts.why ?? opts.detail;
	const message = `no probes match '${text || fields}'${extra ? `: ${extra}` : ""}.`;
	return new SessionError(message, { cause: new NoProbesError(pos, message, fields, opts.why) });
}
