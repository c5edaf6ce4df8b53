// Property: random D integer expressions computed by dtop's BPF (printed from a
// BEGIN clause) equal what source/d/eval.ts, the reference evaluator with D's
// semantics (64-bit wrap-around, constant types from value, radix and suffix,
// promotion, signed or unsigned division, shifts and comparisons, casts), says.
// DTOP_PROPERTY_SEED replays a run; each failure names its expression.
import assert from "node:assert/strict";
import { test } from "node:test";
import { evaluate } from "../../source/d/eval.ts";
import { parseExpression } from "../../source/d/index.ts";
import { runDtop } from "../helpers/cli.ts";

const RUNS = 8;
const PER_RUN = 150;

function rng(seed: number): () => number {
	let s = seed >>> 0 || 1;
	return () => {
		s ^= s << 13;
		s ^= s >>> 17;
		s ^= s << 5;
		return (s >>> 0) / 2 ** 32;
	};
}

const CASTS = [
	"char",
	"unsigned char",
	"short",
	"unsigned short",
	"int",
	"unsigned int",
	"long",
	"unsigned long",
	"long long",
	"unsigned long long",
	"int8_t",
	"uint16_t",
	"int32_t",
	"uint32_t",
	"int64_t",
	"uint64_t",
];
const BINARY = ["+", "-", "*", "/", "%", "&", "|", "^", "<<", ">>", "==", "!=", "<", "<=", ">", ">=", "&&", "||", "^^"];
const SUFFIXES = ["", "", "", "u", "l", "ul", "ll", "ull", "U", "LL"];

function literal(r: () => number): string {
	const pick = r();
	let v: bigint;
	if (pick < 0.4) v = BigInt(Math.floor(r() * 20));
	else if (pick < 0.6) v = BigInt(Math.floor(r() * 2 ** 31));
	else if (pick < 0.8)
		v = [0x7fffffffn, 0x80000000n, 0xffffffffn, 0x100000000n, 0x7fffffffffffffffn, 0xffffffffffffffffn][
			Math.floor(r() * 6)
		]!;
	else v = (BigInt(Math.floor(r() * 2 ** 32)) << 32n) | BigInt(Math.floor(r() * 2 ** 32));
	const hex = r() < 0.4;
	const suffix = SUFFIXES[Math.floor(r() * SUFFIXES.length)]!;
	return `${hex ? `0x${v.toString(16)}` : v.toString()}${suffix}`;
}

function expr(r: () => number, depth: number): string {
	if (depth <= 0 || r() < 0.2) return literal(r);
	const k = r();
	if (k < 0.55) {
		const op = BINARY[Math.floor(r() * BINARY.length)]!;
		return `(${expr(r, depth - 1)} ${op} ${expr(r, depth - 1)})`;
	}
	if (k < 0.7) return `(${["-", "~", "!", "+"][Math.floor(r() * 4)]}${expr(r, depth - 1)})`;
	if (k < 0.85) return `((${CASTS[Math.floor(r() * CASTS.length)]})${expr(r, depth - 1)})`;
	return `(${expr(r, depth - 1)} ? ${expr(r, depth - 1)} : ${expr(r, depth - 1)})`;
}

/** The reference's value as a signed 64-bit number, or undefined (a division by zero: regenerate). */
function reference(text: string): bigint | undefined {
	try {
		const v = evaluate(parseExpression(text, { language: "full" }));
		return v === undefined ? undefined : BigInt.asIntN(64, v.value);
	} catch {
		return undefined;
	}
}

const seed = Number(process.env.DTOP_PROPERTY_SEED ?? Date.now() % 1_000_000);

test(`${RUNS * PER_RUN} random integer expressions: BPF equals the reference evaluator (seed ${seed})`, async () => {
	const r = rng(seed);
	let checked = 0;
	for (let run = 0; run < RUNS; run++) {
		const cases: { text: string; want: bigint }[] = [];
		while (cases.length < PER_RUN) {
			const text = expr(r, 4);
			const want = reference(text);
			if (want !== undefined) cases.push({ text, want });
		}
		const body = cases.map((c) => `printf("%d\\n", (long long)${c.text});`).join("\n");
		const out = await runDtop(["-q", "-n", `BEGIN {\n${body}\nexit(0);\n}`], { timeoutMs: 60_000 });
		assert.equal(out.code, 0, out.stderr);
		const got = out.stdout.split("\n").filter((l) => l !== "");
		assert.equal(got.length, cases.length, out.stdout);
		cases.forEach((c, i) => {
			assert.equal(BigInt(got[i]!), c.want, `${c.text} (seed ${seed})`);
			checked++;
		});
	}
	assert.equal(checked, RUNS * PER_RUN);
});
