// The React glue to the Controller: its updates (a tick, an enabling added) come
// into the store as `view` actions, at most one frame per MIN_FRAME_MS with the
// last update always shown; and the terminal's size as `resize` actions.

import { useStdout } from "ink";
import { useEffect } from "react";
import type { Controller } from "./controller.ts";
import type { Action } from "./state.ts";
import { throttled } from "./throttle.ts";

/** The fastest the App re-renders for session updates (keys render at once). */
export const MIN_FRAME_MS = 100;

export function useControllerUpdates(
	controller: Controller,
	dispatch: (...actions: Action[]) => void,
	onError: (e: unknown) => void,
): void {
	useEffect(
		() =>
			throttled(
				(l) => controller.subscribe(l),
				MIN_FRAME_MS,
				() => {
					try {
						dispatch({ type: "view", view: controller.view() });
					} catch (e) {
						onError(e);
					}
				},
			),
		[controller, dispatch, onError],
	);
}

/** The terminal's size: `columns`/`rows` when given (tests), else stdout's, following resizes. */
export function useTerminalSize(
	dispatch: (...actions: Action[]) => void,
	columns: number | undefined,
	rows: number | undefined,
): void {
	const { stdout } = useStdout();
	useEffect(() => {
		const size = () => ({ cols: columns ?? stdout.columns ?? 80, rows: rows ?? stdout.rows ?? 24 });
		dispatch({ type: "resize", ...size() });
		if (columns !== undefined && rows !== undefined) return;
		const onResize = () => dispatch({ type: "resize", ...size() });
		stdout.on("resize", onResize);
		return () => {
			stdout.off("resize", onResize);
		};
	}, [stdout, dispatch, columns, rows]);
}
