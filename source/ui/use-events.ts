// The React glue to the controller's per-event output: its changes come into
// the store as `events` actions, at most one every EVENTS_FRAME_MS (the last
// one always shown), apart from the session's `view` updates so that new lines
// do not make the probe tree be read again.

import { useEffect } from "react";
import type { Controller } from "./controller.ts";
import type { Action } from "./state.ts";
import { throttled } from "./throttle.ts";

export const EVENTS_FRAME_MS = 100;

export function useEventUpdates(
	controller: Controller,
	dispatch: (...actions: Action[]) => void,
	onError: (e: unknown) => void,
): void {
	useEffect(() => {
		const subscribe = controller.subscribeEvents?.bind(controller);
		const read = controller.events?.bind(controller);
		if (!subscribe || !read) return;
		return throttled(subscribe, EVENTS_FRAME_MS, () => {
			try {
				dispatch({ type: "events", events: read() });
			} catch (e) {
				onError(e);
			}
		});
	}, [controller, dispatch, onError]);
}
