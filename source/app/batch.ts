// Batch output: tick every aggrate, print every --interval and at the end
// (duration over, the target exited, or a signal), as dtrace(1) does.
import { formatAll, formatFolded, formatJson } from "../output/printa.ts";
import type { Session } from "../session/session.ts";
import { type LongTimer, longInterval, longTimeout } from "../util/timers.ts";
import type { Flags } from "./flags.ts";
import type { Io } from "./io.ts";
import type { Target } from "./process.ts";
import { Ticker } from "./ticker.ts";

function print(ticker: Ticker, flags: Flags, io: Io): void {
	const view = ticker.now();
	if (flags.json) io.out(formatJson(view));
	else if (flags.folded) io.out(formatFolded(view));
	else io.out(formatAll(view));
	for (const e of view.enablings) {
		if (e.drops) io.err(`dtop: ${e.drops} events dropped by '${e.label}' (full maps or failed stack walks)\n`);
		if (e.evictions) io.err(`dtop: ${e.evictions} keys evicted from '${e.label}' (raise the map size)\n`);
	}
}

export async function batchLoop(session: Session, flags: Flags, io: Io, target: Target | undefined): Promise<number> {
	const ticker = new Ticker(session);
	return await new Promise<number>((resolve) => {
		let done = false;
		const timers: LongTimer[] = [];
		const finish = (code: number) => {
			if (done) return;
			done = true;
			ticker.stop();
			for (const t of timers) t.clear();
			process.off("SIGINT", onSignal);
			process.off("SIGTERM", onSignal);
			process.off("SIGHUP", onSignal);
			try {
				print(ticker, flags, io);
			} catch (e) {
				io.err(`dtop: ${(e as Error).message}\n`);
			}
			resolve(code);
		};
		const onSignal = () => finish(0);
		process.on("SIGINT", onSignal);
		process.on("SIGTERM", onSignal);
		process.on("SIGHUP", onSignal);
		ticker.start();
		if (flags.interval) timers.push(longInterval(() => print(ticker, flags, io), flags.interval));
		if (flags.duration) timers.push(longTimeout(() => finish(0), flags.duration * 1000));
		target?.exited.then(() => finish(0));
	});
}
