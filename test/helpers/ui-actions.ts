// Steps a test takes in dtop's interactive UI: open a prompt, submit a line,
// select a tree row. Each waits for the screen to say it happened.
import { KEYS, type Screen, sleep } from "./pty.ts";

/** Press `key` until its one-line prompt shows at the bottom (the first keys may beat raw mode). */
export async function openPrompt(s: Screen, key: string): Promise<void> {
	for (let i = 0; i < 20; i++) {
		s.press(key);
		try {
			await s.waitFor((t) => t.split("\n").some((l) => l.startsWith(`${key} `) || l === key), 500);
			return;
		} catch {
			// not yet
		}
	}
	throw new Error(`the ${key} prompt never opened:\n${s.text()}`);
}

/** Open the `key` prompt, type `text` and Enter in one write (as SSH sends a paste-free burst), and wait until it closed. */
export async function submit(s: Screen, key: string, text: string): Promise<void> {
	await openPrompt(s, key);
	s.press(`${text}${KEYS.enter}`);
	await s.waitFor((t) => !t.split("\n").some((l) => l.startsWith(`${key} `)), 3000);
}

/** Move the tree selection (marked ›) onto the row whose text matches `re`, one key at a time. */
export async function select(s: Screen, re: RegExp, key = KEYS.down): Promise<void> {
	for (let i = 0; i < 60; i++) {
		const at = s.lines().findIndex((l) => l.startsWith("›"));
		if (at !== -1 && re.test(s.lines()[at])) return;
		s.press(key);
		// The next key only once this one moved the selection (a slow frame must not take two).
		await s.waitFor(() => s.lines().findIndex((l) => l.startsWith("›")) !== at, 2000).catch(() => sleep(0));
	}
	throw new Error(`could not select ${re}; screen:\n${s.text()}`);
}

/** The selected tree row's text. */
export function selectedRow(s: Screen): string {
	return s.lines().find((l) => l.startsWith("›")) ?? "";
}
