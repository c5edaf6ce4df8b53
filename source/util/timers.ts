// Timers for any duration: Node's setTimeout/setInterval take at most
// 2^31-1 ms (~24.8 days) and fire after 1 ms for anything longer (with a
// TimeoutOverflowWarning), so `-d 2592000` (30 days) would end at once.
const MAX_DELAY = 2 ** 31 - 1;

export interface LongTimer {
	clear(): void;
}

/** Call `fn` once after `ms`, however long. */
export function longTimeout(fn: () => void, ms: number): LongTimer {
	let timer: NodeJS.Timeout | undefined;
	const due = Date.now() + ms;
	const arm = () => {
		const left = due - Date.now();
		if (left <= MAX_DELAY) timer = setTimeout(fn, Math.max(0, left));
		else timer = setTimeout(arm, MAX_DELAY);
	};
	arm();
	return { clear: () => clearTimeout(timer) };
}

/** Call `fn` every `ms`, however long. */
export function longInterval(fn: () => void, ms: number): LongTimer {
	if (ms <= MAX_DELAY) {
		const t = setInterval(fn, ms);
		return { clear: () => clearInterval(t) };
	}
	let current: LongTimer | undefined;
	const next = () => {
		current = longTimeout(() => {
			next();
			fn();
		}, ms);
	};
	next();
	return { clear: () => current?.clear() };
}
