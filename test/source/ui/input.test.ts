import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import { InputDecoder, type InputEvent } from "../../../source/ui/input.ts";

/** Decodes reads one after another, then says no more input came. */
function decode(...reads: string[]): InputEvent[] {
	const d = new InputDecoder();
	const out = reads.flatMap((r) => d.push(r));
	return [...out, ...d.flush()];
}

const keys = (...names: string[]): InputEvent[] => names.map((key) => ({ kind: "key", key }));

describe("InputDecoder", () => {
	it("splits a burst into one key per keystroke", () => {
		assert.deepEqual(decode("/saw-line\r"), keys("/", "s", "a", "w", "-", "l", "i", "n", "e", "Enter"));
		assert.deepEqual(decode("jj\x1b[B\x1b[Aq"), keys("j", "j", "Down", "Up", "q"));
	});

	it("names the keys terminals send", () => {
		const table: [string, string][] = [
			["\x1b[A", "Up"],
			["\x1bOB", "Down"],
			["\x1b[1;5C", "Right"],
			["\x1b[D", "Left"],
			["\x1b[5~", "PgUp"],
			["\x1b[6~", "PgDn"],
			["\x1b[H", "Home"],
			["\x1b[1~", "Home"],
			["\x1b[7~", "Home"],
			["\x1bOF", "End"],
			["\x1b[4~", "End"],
			["\x1b[3~", "Delete"],
			["\x1b[Z", "S-Tab"],
			["\t", "Tab"],
			["\r", "Enter"],
			["\n", "Enter"],
			["\x1bOM", "Enter"],
			["\x7f", "Backspace"],
			["\b", "Backspace"],
			["\x03", "C-c"],
			["\x15", "C-u"],
			["\x1bOP", "F1"],
			["\x1b[[A", "F1"],
			["\x1b[21~", "F10"],
			["é", "é"],
			["😀", "😀"],
		];
		for (const [bytes, name] of table) assert.deepEqual(decode(bytes), keys(name), JSON.stringify(bytes));
	});

	it("takes CR LF as one Enter, even across reads", () => {
		assert.deepEqual(decode("a\r\nb"), keys("a", "Enter", "b"));
		assert.deepEqual(decode("a\r", "\nb"), keys("a", "Enter", "b"));
		assert.deepEqual(decode("\n\n"), keys("Enter", "Enter"));
	});

	it("waits for the rest of a sequence cut between reads", () => {
		const d = new InputDecoder();
		assert.deepEqual(d.push("j\x1b"), keys("j"));
		assert.equal(d.pending(), "escape");
		assert.deepEqual(d.push("["), []);
		assert.deepEqual(d.push("5"), []);
		assert.deepEqual(d.push("~k"), keys("PgUp", "k"));
		assert.equal(d.pending(), undefined);
	});

	it("takes a lone ESC as Esc once no more input comes, and ESC before a plain key as Esc then that key", () => {
		const d = new InputDecoder();
		assert.deepEqual(d.push("\x1b"), []);
		assert.deepEqual(d.flush(), keys("Esc"));
		assert.deepEqual(decode("\x1bq"), keys("Esc", "q"));
		assert.deepEqual(decode("\x1b\x1b"), keys("Esc", "Esc"));
		assert.deepEqual(decode("\x1b\x1b[A"), keys("Esc", "Up"));
		// A sequence cut short for good is the keys it is made of.
		assert.deepEqual(decode("\x1b[1;"), keys("Esc", "[", "1", ";"));
	});

	it("drops sequences dtop does not use and control bytes, and survives garbage", () => {
		assert.deepEqual(decode("\x1b[I\x1b[O\x1b[12;40R\x1b[?1;2c\x00\x1ca"), keys("a"));
		const long = `\x1b[${"1;".repeat(100)}`;
		const events = decode(long);
		assert.equal(events[0].kind === "key" && events[0].key, "Esc");
	});

	it("reads SGR and X10 mouse reports", () => {
		assert.deepEqual(decode("\x1b[<0;10;5M\x1b[<0;10;5m"), [
			{ kind: "mouse", button: "left", press: true, x: 9, y: 4 },
			{ kind: "mouse", button: "left", press: false, x: 9, y: 4 },
		]);
		assert.deepEqual(decode("\x1b[<64;1;1M\x1b[<65;300;100M"), [
			{ kind: "mouse", button: "wheelUp", press: true, x: 0, y: 0 },
			{ kind: "mouse", button: "wheelDown", press: true, x: 299, y: 99 },
		]);
		// Motion reports (button 32+) are not clicks.
		assert.deepEqual(decode("\x1b[<32;3;3M"), []);
		assert.deepEqual(decode(`\x1b[M ${String.fromCharCode(33 + 4)}${String.fromCharCode(33 + 2)}`), [
			{ kind: "mouse", button: "left", press: true, x: 4, y: 2 },
		]);
	});

	it("reads a bracketed paste as one text, its end marker cut anywhere", () => {
		const text = "syscall::read:entry { @ = count(); }\n";
		const whole = `\x1b[200~${text}\x1b[201~q`;
		for (let cut = 0; cut <= whole.length; cut++) {
			assert.deepEqual(
				decode(whole.slice(0, cut), whole.slice(cut)),
				[{ kind: "paste", text }, ...keys("q")],
				`cut at ${cut}`,
			);
		}
		const d = new InputDecoder();
		d.push("\x1b[200~abc");
		assert.equal(d.pending(), "paste");
		assert.deepEqual(d.flush(), [{ kind: "paste", text: "abc" }]);
	});

	it("gives the same events however a key sequence is split into reads", () => {
		// Each event with the bytes a terminal sends for it.
		const printable = fc
			.oneof(
				fc.integer({ min: 0x20, max: 0x7e }).map((c) => String.fromCharCode(c)),
				fc.constantFrom("é", "日", "😀"),
			)
			.map((ch): [InputEvent, string] => [{ kind: "key", key: ch }, ch]);
		const named = fc.constantFrom<[string, string]>(
			["Up", "\x1b[A"],
			["Down", "\x1bOB"],
			["Right", "\x1b[1;5C"],
			["Left", "\x1b[D"],
			["PgUp", "\x1b[5~"],
			["PgDn", "\x1b[6~"],
			["Home", "\x1b[H"],
			["End", "\x1b[4~"],
			["Delete", "\x1b[3~"],
			["S-Tab", "\x1b[Z"],
			["Tab", "\t"],
			["Enter", "\r"],
			["Backspace", "\x7f"],
			["Esc", "\x1b"],
			["C-c", "\x03"],
			["C-u", "\x15"],
			["C-w", "\x17"],
			["F1", "\x1bOP"],
			["F10", "\x1b[21~"],
		);
		const namedKey = named.map(([k, bytes]): [InputEvent, string] => [{ kind: "key", key: k }, bytes]);
		const mouse = fc
			.record({
				button: fc.constantFrom(0, 1, 2, 64, 65),
				x: fc.integer({ min: 1, max: 400 }),
				y: fc.integer({ min: 1, max: 200 }),
				press: fc.boolean(),
			})
			.map(({ button, x, y, press }): [InputEvent, string] => [
				{
					kind: "mouse",
					button:
						button === 64 ? "wheelUp" : button === 65 ? "wheelDown" : (["left", "middle", "right"] as const)[button],
					press: press || button >= 64,
					x: x - 1,
					y: y - 1,
				},
				`\x1b[<${button};${x};${y}${press || button >= 64 ? "M" : "m"}`,
			]);
		const paste = fc
			.string({ maxLength: 12 })
			.filter((t) => !t.includes("\x1b"))
			.map((text): [InputEvent, string] => [{ kind: "paste", text }, `\x1b[200~${text}\x1b[201~`]);
		const event = fc.oneof({ arbitrary: printable, weight: 4 }, { arbitrary: namedKey, weight: 4 }, mouse, paste);
		const sequence = fc
			.array(event, { maxLength: 30 })
			// Esc typed just before `[` or `O` reads as the start of a sequence, on any terminal.
			.filter((evs) =>
				evs.every(([e], i) => {
					const next = evs[i + 1]?.[1];
					return !(e.kind === "key" && e.key === "Esc" && next !== undefined && /^[[O]/.test(next));
				}),
			);
		fc.assert(
			fc.property(sequence, fc.array(fc.nat(), { maxLength: 12 }), (evs, cuts) => {
				const bytes = evs.map(([, b]) => b).join("");
				const at = [...new Set(cuts.map((c) => c % (bytes.length + 1)))].sort((a, b) => a - b);
				const reads: string[] = [];
				let from = 0;
				for (const c of at) {
					reads.push(bytes.slice(from, c));
					from = c;
				}
				reads.push(bytes.slice(from));
				assert.deepEqual(
					decode(...reads),
					evs.map(([e]) => e),
				);
			}),
			{ numRuns: 5000 },
		);
	});
});
