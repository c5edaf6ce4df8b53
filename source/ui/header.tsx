// The header row: where we are and how the session is doing. Items that do not
// fit are dropped, least important first (kernel release, then CPUs, then host).

import type { SessionView } from "../session/view.ts";
import { escapeForTerminal } from "../util/escape.ts";
import type { Charset } from "./charset.ts";
import { useUi } from "./context.tsx";
import { type Line, Lines, lineWidth, seg } from "./line.tsx";
import { formatCount, formatMs, formatRate, truncate } from "./text.ts";

export function headerLine(view: SessionView, cols: number, _cs: Charset): Line {
	const probes = view.enablings.reduce((n, e) => n + e.probes, 0);
	const gap = seg("  ");
	const tail: Line = [
		seg(`${formatCount(probes)} probes`),
		gap,
		seg(`${formatRate(view.rate)}/s`, { color: "green", bold: true }),
		gap,
		seg(`drops ${formatCount(view.drops)}`, view.drops > 0 ? { color: "red", bold: true } : { dim: true }),
		gap,
		seg(
			`evictions ${formatCount(view.evictions)}`,
			view.evictions > 0 ? { color: "yellow", bold: true } : { dim: true },
		),
		gap,
		seg(`tick ${formatMs(view.tickMs)}`),
	];
	// Process events lost in the kernel (the catalog rescanned /proc each time): shown only when it happened.
	if (view.processOverflows)
		tail.splice(6, 0, seg(`proc overflows ${formatCount(view.processOverflows)}`, { color: "red", bold: true }), gap);
	// Runtime faults (each abandoned a clause's firing): shown only when some happened.
	if (view.faults) tail.splice(4, 0, seg(`faults ${formatCount(view.faults)}`, { color: "red", bold: true }), gap);
	if (view.paused) tail.push(gap, seg(" PAUSED ", { inverse: true, color: "yellow", bold: true }));
	const brand = seg("dtop", { bold: true, color: "cyan" });
	const host = escapeForTerminal(view.host);
	const kernel = escapeForTerminal(view.kernel);
	const cpus = `${view.cpus} CPU${view.cpus === 1 ? "" : "s"}`;
	const attempts: Line[] = [
		[brand, gap, seg(host, { bold: true }), gap, seg(kernel), gap, seg(cpus), seg("  |  ", { dim: true }), ...tail],
		[brand, gap, seg(host, { bold: true }), gap, seg(cpus), seg("  |  ", { dim: true }), ...tail],
		[brand, gap, seg(host, { bold: true }), gap, ...tail],
	];
	for (const line of attempts) if (lineWidth(line) <= cols) return line;
	const room = cols - lineWidth([brand, gap, gap, ...tail]);
	if (room >= 4) return [brand, gap, seg(truncate(host, room), { bold: true }), gap, ...tail];
	return tail;
}

export function Header({ view, width }: { view: SessionView; width: number }) {
	const { cs } = useUi();
	return <Lines lines={[headerLine(view, width, cs)]} height={1} width={width} />;
}
