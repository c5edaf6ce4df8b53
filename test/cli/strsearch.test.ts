// strstr, index and rindex in BPF on the real kernel (bpf_loop callbacks,
// kernel/codegen/strloop.ts), checked against a reference of the semantics
// DTrace's funcs tests compare them with (Perl's index and rindex, a start
// position clamped into the string, a negative one finding only "" for rindex),
// and clauses holding many string loops at strsize 256.
import assert from "node:assert/strict";
import { test } from "node:test";
import { runDtop } from "../helpers/cli.ts";

function index(s: string, t: string, pos = 0): number {
	const from = Math.min(Math.max(pos, 0), s.length);
	for (let i = from; i + t.length <= s.length; i++) if (s.startsWith(t, i)) return i;
	return -1;
}

function rindex(s: string, t: string, pos = Number.MAX_SAFE_INTEGER): number {
	if (pos < 0) return t === "" ? 0 : -1;
	for (let i = Math.min(pos, s.length - t.length); i >= 0; i--) if (s.startsWith(t, i)) return i;
	return -1;
}

function strstr(s: string, t: string): string {
	const i = index(s, t);
	return i < 0 ? "" : s.slice(i);
}

const PAIRS: [string, string][] = [
	["abcabcabc", "abc"],
	["xyzabcabc", "abc"],
	["hello world", "o"],
	["hello world", "world"],
	["hello", "hello"],
	["hello", "hello!"],
	["", "q"],
	["qrs", ""],
	["", ""],
	["aaaa", "aa"],
	["mississippi", "issip"],
];
const POSITIONS = [-300, -1, 0, 1, 2, 3, 5, 8, 11, 12, 300];

function q(s: string): string {
	return JSON.stringify(s);
}

async function begin(body: string[], opts: string[] = []): Promise<string[]> {
	const script = `BEGIN {\n${body.join("\n")}\nexit(0);\n}`;
	const r = await runDtop(["-q", ...opts, "-n", script], { timeoutMs: 60_000 });
	assert.equal(r.code, 0, r.stderr);
	return r.stdout.split("\n").filter((l) => l !== "");
}

for (const [s, t] of PAIRS) {
	test(`index and rindex of ${q(t)} in ${q(s)}, with and without a start position, as DTrace`, async () => {
		const calls: [string, number][] = [
			["index(x, y)", index(s, t)],
			["rindex(x, y)", rindex(s, t)],
		];
		for (const p of POSITIONS) {
			calls.push([`index(x, y, ${p})`, index(s, t, p)]);
			calls.push([`rindex(x, y, ${p})`, rindex(s, t, p)]);
		}
		const out = await begin([`x = ${q(s)};`, `y = ${q(t)};`, ...calls.map(([c]) => `printf("%d\\n", ${c});`)]);
		assert.deepEqual(
			out.map((v, i) => `${calls[i]?.[0]} = ${v}`),
			calls.map(([c, v]) => `${c} = ${v}`),
		);
	});
}

test('strstr: the rest of the string from the first match, "" when none', async () => {
	const rows: [string, string][] = PAIRS.map(([s, t]) => [`strstr(${q(s)}, ${q(t)})`, strstr(s, t)]);
	rows.push(['strstr(strstr("onetwothree", "two"), strstr("onetwothree", "eth"))', "twothree"]);
	rows.push(['strstr(strstr("onetwothree", "two"), strstr("onetwothree", "wo"))', "wothree"]);
	const out = await begin(rows.map(([c]) => `printf("[%s]\\n", ${c});`));
	assert.deepEqual(
		out,
		rows.map(([, v]) => `[${v}]`),
	);
});

test("search through strings from variables and across the whole of a long string", async () => {
	const long = `${"abcdefghij".repeat(24)}needle`;
	const out = await begin([
		`x = ${q(long)};`,
		'y = "needle";',
		'printf("%d %d %d %s\\n", index(x, y), rindex(x, "abc"), index(x, "abc", 231), strstr(x, y));',
	]);
	assert.deepEqual(out, [`${index(long, "needle")} ${rindex(long, "abc")} ${index(long, "abc", 231)} needle`]);
});

test("a clause of five strchr, a strstr and a strjoin loads at strsize 256", async () => {
	const s = "path/to/some/file.txt";
	const out = await begin(
		[
			`x = ${q(s)};`,
			"printf(\"%s|%s|%s|%s|%s\\n\", strchr(x, '/'), strchr(x, '.'), strchr(x, 's'), strchr(x, 'f'), strchr(x, 'z'));",
			'printf("%s|%s\\n", strstr(x, "some"), strjoin(x, ".bak"));',
			'printf("%s %s %d\\n", basename(x), dirname(x), strlen(x));',
		],
		["-x", "strsize=256"],
	);
	assert.deepEqual(out, [
		"/to/some/file.txt|.txt|some/file.txt|file.txt|",
		"some/file.txt|path/to/some/file.txt.bak",
		"file.txt path/to/some 21",
	]);
});

test("searches in a syscall probe of a traced process, on the paths it opens", async () => {
	const r = await runDtop([
		"-q",
		"-n",
		'syscall::openat:entry /pid == $target && index(copyinstr(arg1), "hostn") >= 0/ { printf("%s %d %d [%s]\\n", strstr(copyinstr(arg1), "name"), rindex(copyinstr(arg1), "/"), index(copyinstr(arg1), "t", 2), strstr(copyinstr(arg1), "nope")); }',
		"-c",
		"head -c 0 /etc/hostname",
	]);
	assert.equal(r.code, 0, r.stderr);
	assert.equal(r.stdout.trim(), "name 4 2 []");
});

const FOX = "the quick brown fox jumps over the lazy dog";

function chrSum(n: number): { body: string; sum: number } {
	let body = "";
	let sum = 0;
	for (let i = 1; i <= n; i++) {
		const c = 97 + (i % 26);
		body += `n += strlen(strchr(x, ${c})); `;
		const at = FOX.indexOf(String.fromCharCode(c));
		sum += at < 0 ? 0 : FOX.length - at;
	}
	return { body, sum };
}

test("sixty strchr and strlen (180 loops) in one clause at strsize 256", async () => {
	const { body, sum } = chrSum(60);
	const out = await begin([`x = ${q(FOX)};`, body, 'printf("%d\\n", n);'], ["-x", "strsize=256"]);
	assert.deepEqual(out, [`${sum}`]);
});

test("more string loops than the kernel takes in one program is one clear sentence", async () => {
	const r = await runDtop(["-q", "-n", `BEGIN { x = ${q(FOX)}; ${chrSum(120).body} exit(0); }`]);
	assert.notEqual(r.code, 0);
	assert.match(r.stderr, /more than 250 string loops .* split the clause/);
	assert.doesNotMatch(r.stderr, /at .*\.ts:/);
});
