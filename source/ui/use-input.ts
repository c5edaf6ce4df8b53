// The terminal's input for the App: raw mode on stdin, every read through the
// InputDecoder, every event dispatched in order. Ink's own input handling stays
// off (no useInput): it hands a burst of plain characters over as one string and
// takes "saw-line\r" for text, not for text and Enter.

import { useStdin } from "ink";
import { useEffect } from "react";
import { ESCAPE_DELAY_MS, InputDecoder } from "./input.ts";
import type { Action } from "./state.ts";

/** How long a bracketed paste may pause before what came is taken as the whole paste. */
const PASTE_DELAY_MS = 1000;

export function useTerminalInput(dispatch: (...actions: Action[]) => void, onError: (e: unknown) => void): void {
	const { stdin } = useStdin();
	useEffect(() => {
		const decoder = new InputDecoder();
		let timer: NodeJS.Timeout | undefined;
		const send = (events: ReturnType<InputDecoder["push"]>) => {
			if (events.length === 0) return;
			try {
				dispatch(...events.map((event): Action => ({ type: "input", event })));
			} catch (e) {
				onError(e);
			}
		};
		const onReadable = () => {
			if (timer) clearTimeout(timer);
			timer = undefined;
			let chunk: string | Buffer | null;
			while ((chunk = stdin.read()) !== null) send(decoder.push(String(chunk)));
			const pending = decoder.pending();
			if (pending) {
				timer = setTimeout(
					() => {
						timer = undefined;
						send(decoder.flush());
					},
					pending === "paste" ? PASTE_DELAY_MS : ESCAPE_DELAY_MS,
				);
			}
		};
		stdin.setEncoding("utf8");
		if (stdin.isTTY) stdin.setRawMode?.(true);
		stdin.ref();
		stdin.on("readable", onReadable);
		return () => {
			if (timer) clearTimeout(timer);
			stdin.off("readable", onReadable);
			try {
				if (stdin.isTTY) stdin.setRawMode?.(false);
			} catch {
				// The terminal may be gone (SIGHUP).
			}
			stdin.unref();
		};
	}, [stdin, dispatch, onError]);
}
