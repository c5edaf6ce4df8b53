// The catalog's process feed: polls the kernel's process events (a memory read,
// no system call) and applies them to the catalog. Every 500 ms when nothing
// needs holding, backing off to 1 s while polls find nothing (the 4 MiB ring
// holds about a second of 1,000 process starts a second); every 2 ms while an
// enabling could match a new process, because then each exec and executable
// mmap stops the process until its probes are attached (see
// kernel/codegen/proc-events.ts) and the stop lasts until the next poll.
//
// The ring overflows only when it is full, and only this reader drains it: so
// a poll that finds it nearly full checks the kernel's lost counter, and any
// loss makes one full /proc rescan (counted as an overflow).

import { spawnWatchdog } from "../util/watchdog.ts";
import type { Catalog } from "./catalog.ts";
import { type ProcEvent, ProcessEvents } from "./proc-events.ts";
import { readStat } from "./procfs.ts";

export interface FeedOptions {
	/** Asked every poll: should new processes be held at exec until attached? */
	hold?: () => boolean;
	/** Poll interval when nothing is held (ms). */
	idleMs?: number;
	/** Ring buffer bytes (a power of two, at least a page; tests make it small to overflow it). */
	ringSize?: number;
}

export interface EventFeed {
	/** Overflows (each answered by a /proc rescan), records lost, and stops made, as seen so far. No system call. */
	stats(): { overflows: number; lost: number; held: number };
	/** Read and apply the events queued so far now (before a final print), not at the next poll. */
	flush(): void;
	close(): void;
}

const HOLD_MS = 2;
/**
 * An idle feed polls at most this many times slower than idleMs. 1: a -p
 * target's exit is the event that ends a batch run, and slowing the idle poll to
 * 1 s made dtop see it after ~1 s (idle-footprint's exit test); the idle UI's
 * saving came from decoding in place, not from polling less.
 */
const IDLE_BACKOFF = 1;
/** Check the lost counter anyway this often (a safety net; one system call). */
const LOST_CHECK_MS = 10_000;

/** Starts following the catalog's processes from kernel events; undefined when the kernel refuses. */
export function startFeed(catalog: Catalog, options: FeedOptions = {}): EventFeed | undefined {
	let events: ProcessEvents;
	try {
		// DTOP_PROC_RING_BYTES: a smaller ring, for the test that overflows it.
		const env = Number(process.env.DTOP_PROC_RING_BYTES) || undefined;
		events = new ProcessEvents(catalog.tracefs, { ringSize: options.ringSize ?? env });
	} catch {
		return undefined;
	}
	const idleMs = options.idleMs ?? 500;
	// Polls that find nothing back off, up to IDLE_BACKOFF times idleMs; an event brings it back.
	let quietMs = idleMs;
	let overflows = 0;
	let lost = 0;
	let lastLostCheck = Date.now();
	let dog: HeldWatchdog | undefined;
	let timer: NodeJS.Timeout | undefined;
	let armedMs = 0;
	let ticking = false;
	let closed = false;

	const checkLost = () => {
		lastLostCheck = Date.now();
		const now = events.lost();
		if (now <= lost) return false;
		lost = now;
		overflows++;
		return true;
	};
	let held = 0;

	const tick = () => {
		if (closed) return;
		const want = options.hold?.() ?? false;
		if (want !== events.holding) {
			if (want) dog ??= heldWatchdog();
			events.hold(want);
		}
		events.renew();
		const nearlyFull = events.available() > events.size - 4096;
		let batch: ProcEvent[] = [];
		try {
			batch = events.poll();
			for (const e of batch) {
				if (!isHeld(e)) continue;
				held++;
				dog?.held(e.pid);
				// The mmap record is written at the system call's entry: the mapping
				// exists once the process has stopped (on its way back to user space).
				if (e.type === "mmap") untilStopped(e.pid);
			}
			if (batch.length) catalog.apply(batch);
			quietMs = batch.length ? idleMs : Math.min(quietMs * 2, idleMs * IDLE_BACKOFF);
			if ((nearlyFull || Date.now() - lastLostCheck > LOST_CHECK_MS) && checkLost()) catalog.refresh();
		} catch {
			// a catalog error must not stop the feed (nor leave a process held)
		}
		for (const e of batch) if (isHeld(e)) resume(e.pid, dog);
		const ms = events.holding ? HOLD_MS : quietMs;
		// Re-armed (no new timer) when a flush came first.
		if (timer && armedMs === ms) timer.refresh();
		else {
			if (timer) clearTimeout(timer);
			timer = setTimeout(poll, ms);
			timer.unref();
			armedMs = ms;
		}
	};
	// Never from inside a poll: a change it applies may read trace records, which flush first.
	const poll = () => {
		if (ticking) return;
		ticking = true;
		try {
			tick();
		} finally {
			ticking = false;
		}
	};
	// Events queue from here on: the first scan after loading misses nothing.
	catalog.refresh();
	poll();
	return {
		stats: () => ({ overflows, lost, held }),
		flush() {
			if (!closed) poll();
		},
		close() {
			if (closed) return;
			closed = true;
			if (timer) clearTimeout(timer);
			events.hold(false);
			// Stops already made but not yet read: resume them before the programs go.
			for (const e of events.poll()) if (isHeld(e)) resume(e.pid, dog);
			events.close();
			dog?.stop();
		},
	};
}

/** Waits (at most 50 ms) until `pid` is stopped or gone. */
function untilStopped(pid: number): void {
	const end = Date.now() + 50;
	for (;;) {
		const st = readStat(pid)?.state;
		if (st === undefined || st === "T" || st === "Z" || Date.now() > end) return;
	}
}

const isHeld = (e: ProcEvent) => (e.type === "exec" || e.type === "mmap") && e.held;

function resume(pid: number, dog: HeldWatchdog | undefined): void {
	try {
		process.kill(pid, "SIGCONT");
	} catch {
		// gone
	}
	dog?.resumed(pid);
}

/**
 * A watchdog outside dtop for processes held at exec: dtop tells it each held
 * pid (+PID) and each resumed one (-PID); when dtop is gone (its end of the
 * pipe closes, kill -9 included) or stopped for a second, it continues the
 * held ones. The pid is told as soon as dtop reads the stop's record: a kill -9
 * of dtop between the kernel's stop and that read (one poll, 2 ms) is the one
 * case it cannot cover. Bash built-ins only: a program it ran would itself be
 * held.
 */
const HELD_WATCHDOG = `declare -A H
st() { local s; { read -r s < /proc/$1/stat; } 2>/dev/null || { S=; return 0; }; s=\${s##*) }; S=\${s%% *}; }
n=0
while :; do
	if read -r -t 0.2 line; then
		case $line in -*) unset "H[\${line#-}]" ;; +*) H[\${line#+}]=1 ;; esac
		continue
	elif [ $? -le 128 ]; then break; fi
	st $D
	[ "$S" = T ] && n=$((n + 1)) || n=0
	[ "$S" = "" ] && break
	if [ $n -ge 5 ]; then for p in "\${!H[@]}"; do kill -CONT $p 2>/dev/null; done; n=0; fi
done
for p in "\${!H[@]}"; do kill -CONT $p 2>/dev/null; done
exit 0`;

interface HeldWatchdog {
	held(pid: number): void;
	resumed(pid: number): void;
	stop(): void;
}

function heldWatchdog(): HeldWatchdog | undefined {
	try {
		const w = spawnWatchdog(HELD_WATCHDOG);
		return {
			held: (pid) => w.stdin?.write(`+${pid}\n`),
			resumed: (pid) => w.stdin?.write(`-${pid}\n`),
			stop: () => w.stdin?.end(),
		};
	} catch {
		return undefined;
	}
}
