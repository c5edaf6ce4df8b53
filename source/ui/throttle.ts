// At most one frame per `ms` for a stream of change notifications, the last one
// always shown: the first change after a quiet spell draws at once, changes that
// come faster are folded into one frame at the end of the interval.

/** Subscribe with `subscribe`, calling `frame` as above; returns the unsubscribe. */
export function throttled(subscribe: (listener: () => void) => () => void, ms: number, frame: () => void): () => void {
	let last = 0;
	let timer: NodeJS.Timeout | undefined;
	const draw = () => {
		timer = undefined;
		last = Date.now();
		frame();
	};
	const unsubscribe = subscribe(() => {
		if (timer) return;
		const wait = ms - (Date.now() - last);
		if (wait <= 0) draw();
		else timer = setTimeout(draw, wait);
	});
	return () => {
		unsubscribe();
		if (timer) clearTimeout(timer);
	};
}
