// The probes the kernel refused for an enabling, as the Detail pane lists them:
// the one-line summary batch mode prints (`1 probe skipped (…)`), then each
// probe with its reason, the first MAX_LISTED of them.
import { skippedSummary } from "../session/build.ts";
import type { Session } from "../session/session.ts";

const MAX_LISTED = 20;

export function skippedLines(skipped: ReturnType<Session["skipped"]>): string[] {
	const summary = skippedSummary(skipped);
	if (!summary) return [];
	const lines = [summary, ...skipped.slice(0, MAX_LISTED).map((s) => `${s.probe}: ${s.reason}`)];
	if (skipped.length > MAX_LISTED) lines.push(`and ${skipped.length - MAX_LISTED} more`);
	return lines;
}
