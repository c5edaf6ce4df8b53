// Arithmetic on narrow integer variables follows DTrace's dt_type_promote, not C:
// there is no promotion to int, the operand of higher rank (bits + unsigned) gives
// the type, and printf/trace print the value as that type. DTrace's
// arithmetic/tst.cast-add* show it: an unsigned char 254 plus a signed char 3 is
// the unsigned char 1; an unsigned char 253 doubled prints 250.
import assert from "node:assert/strict";
import { test } from "node:test";
import { runDtop } from "../helpers/cli.ts";

async function quiet(program: string): Promise<string> {
	const r = await runDtop(["-q", "-n", program]);
	assert.equal(r.code, 0, r.stderr);
	return r.stdout;
}

// S * 2 is an int: the constant 2 (int, rank 32) outranks unsigned short (rank 17).
test("global chars and shorts: the higher-ranked operand's type, wrapped there", async () => {
	const out = await quiet(
		'unsigned char C; signed char c; short s; unsigned short S; BEGIN { C = 254; c = 3; s = -2; S = 65534; printf("%d %d %d %d %d %d %d %d\\n", C + c, c + C, C + C, c + c, C + 1, s + C, S + s, S * 2); exit(0); }',
	);
	assert.equal(out, "1 1 252 6 255 252 65532 131068\n\n");
});

test("self-> and this-> chars, and trace() of their sum, keep the narrow type", async () => {
	const out = await quiet(
		'self unsigned char C; this signed char c; BEGIN { self->C = 253; this->c = -3; printf("%d %d|", self->C + self->C, self->C + this->c); trace(self->C + this->c); exit(0); }',
	);
	assert.equal(out, "250 250|250\n");
});
