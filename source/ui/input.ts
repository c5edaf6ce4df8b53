// Terminal input → key, paste and mouse events, whatever the reads look like.
//
// Over SSH several keystrokes often reach dtop in one read, and an escape
// sequence can be cut between two reads. The decoder is a state machine over the
// byte stream, not over reads: every read is appended to what is left of the last
// one, each complete key is an event of its own, and an incomplete sequence waits
// for the rest. Only a lone ESC is ambiguous (the Esc key, or the start of a
// sequence whose rest is late): the caller asks pending() and calls flush() when no
// more input came for ESCAPE_DELAY_MS (htop waits 25 ms too).

/** Keys by name: Up Down Left Right PgUp PgDn Home End Enter Esc Tab S-Tab Backspace Delete Insert F1–F12, C-a … C-z, or the character typed. */
export type KeyName = string;

export type MouseButton = "left" | "middle" | "right" | "wheelUp" | "wheelDown" | "other";

export type InputEvent =
	| { kind: "key"; key: KeyName }
	/** A bracketed paste (the terminal marks it), its text as pasted. */
	| { kind: "paste"; text: string }
	/** x and y count from 0 at the top-left cell. */
	| { kind: "mouse"; button: MouseButton; press: boolean; x: number; y: number };

export const ESCAPE_DELAY_MS = 25;
/** A bracketed paste longer than this keeps only its start (a prompt is one line). */
export const MAX_PASTE = 64 * 1024;
/** Longer than any sequence a terminal sends: what is not done by then is not one. */
const MAX_SEQUENCE = 64;

const ESC = "\x1b";
const PASTE_END = "\x1b[201~";

const TILDE: Record<string, KeyName> = {
	"1": "Home",
	"2": "Insert",
	"3": "Delete",
	"4": "End",
	"5": "PgUp",
	"6": "PgDn",
	"7": "Home",
	"8": "End",
	"11": "F1",
	"12": "F2",
	"13": "F3",
	"14": "F4",
	"15": "F5",
	"17": "F6",
	"18": "F7",
	"19": "F8",
	"20": "F9",
	"21": "F10",
	"23": "F11",
	"24": "F12",
};

const FINAL: Record<string, KeyName> = { A: "Up", B: "Down", C: "Right", D: "Left", H: "Home", F: "End", Z: "S-Tab" };
const SS3: Record<string, KeyName> = {
	A: "Up",
	B: "Down",
	C: "Right",
	D: "Left",
	H: "Home",
	F: "End",
	M: "Enter",
	P: "F1",
	Q: "F2",
	R: "F3",
	S: "F4",
};

const key = (k: KeyName): InputEvent => ({ kind: "key", key: k });

function mouseButton(b: number): MouseButton {
	if (b & 64) return (b & 3) === 0 ? "wheelUp" : (b & 3) === 1 ? "wheelDown" : "other";
	return (["left", "middle", "right", "other"] as const)[b & 3];
}

/** What one complete sequence starting at an ESC means (undefined: nothing dtop uses). */
type Parsed = { events: InputEvent[]; end: number; paste?: boolean } | "incomplete" | "not-a-sequence";

function parseEscape(s: string, i: number): Parsed {
	if (i + 1 >= s.length) return "incomplete";
	const kind = s[i + 1];
	if (kind === "O") {
		if (i + 2 >= s.length) return "incomplete";
		const name = SS3[s[i + 2]];
		return { events: name ? [key(name)] : [], end: i + 3 };
	}
	if (kind !== "[") return "not-a-sequence";
	// X10 mouse (a terminal without SGR reporting): ESC [ M and three bytes, each 32 + a value.
	if (s[i + 2] === "M") {
		if (i + 6 > s.length) return "incomplete";
		const b = s.charCodeAt(i + 3) - 32;
		const x = s.charCodeAt(i + 4) - 33;
		const y = s.charCodeAt(i + 5) - 33;
		const press = (b & 3) !== 3 || (b & 64) !== 0;
		const events: InputEvent[] = b & 32 ? [] : [{ kind: "mouse", button: mouseButton(b), press, x, y }];
		return { events, end: i + 6 };
	}
	let j = i + 2;
	// The Linux console's F1–F5: ESC [ [ A … E.
	if (s[j] === "[") {
		if (j + 1 >= s.length) return "incomplete";
		const f = "ABCDE".indexOf(s[j + 1]);
		return { events: f >= 0 ? [key(`F${f + 1}`)] : [], end: j + 2 };
	}
	for (; j < s.length; j++) {
		const c = s.charCodeAt(j);
		if (c >= 0x20 && c <= 0x3f) continue; // parameters and intermediates
		if (c >= 0x40 && c <= 0x7e) break; // the final byte
		return "not-a-sequence";
	}
	if (j >= s.length) return j - i > MAX_SEQUENCE ? "not-a-sequence" : "incomplete";
	const params = s.slice(i + 2, j);
	const final = s[j];
	const end = j + 1;
	if (params.startsWith("<") && (final === "M" || final === "m")) {
		const [b, x, y] = params.slice(1).split(";").map(Number);
		if (![b, x, y].every(Number.isInteger) || b & 32) return { events: [], end };
		return { events: [{ kind: "mouse", button: mouseButton(b), press: final === "M", x: x - 1, y: y - 1 }], end };
	}
	if (final === "~") {
		const n = params.split(";")[0];
		if (n === "200") return { events: [], end, paste: true };
		const name = TILDE[n];
		return { events: name ? [key(name)] : [], end };
	}
	// Modified arrows (ESC [ 1 ; 5 A) are the arrows.
	const name = FINAL[final];
	return { events: name && !params.startsWith("?") ? [key(name)] : [], end };
}

function controlKey(code: number): KeyName | undefined {
	if (code === 0x0d || code === 0x0a) return "Enter";
	if (code === 0x09) return "Tab";
	if (code === 0x08 || code === 0x7f) return "Backspace";
	if (code >= 0x01 && code <= 0x1a) return `C-${String.fromCharCode(code + 0x60)}`;
	return undefined; // NUL, C-\ C-] C-^ C-_, C1 controls: nothing dtop uses
}

/** The longest end of `s` that is a start of `marker`. */
function partialSuffix(s: string, marker: string): number {
	for (let n = Math.min(s.length, marker.length - 1); n > 0; n--) if (marker.startsWith(s.slice(-n))) return n;
	return 0;
}

export class InputDecoder {
	private rest = "";
	private paste: string | undefined;
	private afterCR = false;

	/** The events of one read (with what was left of the reads before). */
	push(chunk: string): InputEvent[] {
		const out: InputEvent[] = [];
		const s = this.rest + chunk;
		this.rest = "";
		let i = 0;
		while (i < s.length) {
			if (this.paste !== undefined) {
				const end = s.indexOf(PASTE_END, i);
				if (end < 0) {
					const tail = s.slice(i);
					const keep = partialSuffix(tail, PASTE_END);
					this.addPaste(tail.slice(0, tail.length - keep));
					this.rest = tail.slice(tail.length - keep);
					return out;
				}
				this.addPaste(s.slice(i, end));
				out.push({ kind: "paste", text: this.paste });
				this.paste = undefined;
				i = end + PASTE_END.length;
				continue;
			}
			const c = s.charCodeAt(i);
			if (c === 0x1b) {
				const parsed = parseEscape(s, i);
				if (parsed === "incomplete") {
					this.rest = s.slice(i);
					return out;
				}
				this.afterCR = false;
				if (parsed === "not-a-sequence") {
					// ESC and then something that is no sequence: the Esc key, then that key, as typed.
					out.push(key("Esc"));
					i++;
					continue;
				}
				out.push(...parsed.events);
				if (parsed.paste) this.paste = "";
				i = parsed.end;
				continue;
			}
			// CR LF (a pasted Windows line end) is one Enter.
			if (c === 0x0a && this.afterCR) {
				this.afterCR = false;
				i++;
				continue;
			}
			this.afterCR = c === 0x0d;
			if (c < 0x20 || (c >= 0x7f && c <= 0x9f)) {
				const name = controlKey(c);
				if (name) out.push(key(name));
				i++;
				continue;
			}
			// A character outside the BMP is two code units; a read may end between them.
			if (c >= 0xd800 && c <= 0xdbff) {
				if (i + 1 >= s.length) {
					this.rest = s.slice(i);
					return out;
				}
				out.push(key(s.slice(i, i + 2)));
				i += 2;
				continue;
			}
			out.push(key(s[i]));
			i++;
		}
		return out;
	}

	/** What waits for more input: an ESC (or a sequence cut short), a bracketed paste, or nothing. */
	pending(): "escape" | "paste" | undefined {
		if (this.paste !== undefined) return "paste";
		return this.rest.length > 0 ? "escape" : undefined;
	}

	/**
	 * No more input came: a lone ESC is the Esc key, a sequence cut short is the
	 * keys it is made of, a paste that never ended is the text so far.
	 */
	flush(): InputEvent[] {
		const out: InputEvent[] = [];
		if (this.paste !== undefined) {
			this.addPaste(this.rest);
			out.push({ kind: "paste", text: this.paste });
			this.paste = undefined;
			this.rest = "";
			return out;
		}
		const rest = this.rest;
		this.rest = "";
		if (rest.startsWith(ESC)) {
			out.push(key("Esc"));
			out.push(...this.push(rest.slice(1)));
			// Whatever is left after the ESC cannot be waiting for anything any more.
			if (this.rest) out.push(...this.flush());
		} else if (rest) out.push(key(rest));
		return out;
	}

	private addPaste(text: string): void {
		const room = MAX_PASTE - (this.paste?.length ?? 0);
		if (room > 0) this.paste = (this.paste ?? "") + text.slice(0, room);
	}
}
