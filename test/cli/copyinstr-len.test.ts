// copyinstr(addr, len) with the address from a thread-local variable plus an
// offset, as DTrace's scripts write it: the entry clause keeps the syscall's
// pointer argument in self->a and the return clause reads the string through
// it. The bounded read goes through the scratch buffer, so a program whose only
// use of it is copyinstr(addr, len) must load the buffer (the verifier refused
// it with "R1 invalid mem access 'scalar'").
import assert from "node:assert/strict";
import { test } from "node:test";
import { runDtop } from "../helpers/cli.ts";

const PATH = "/tmp/dtop-copyinstr-len-missing";

async function openReturn(body: string): Promise<string[]> {
	const script = [
		"syscall::openat:entry /pid == $target/ { self->a = arg1; }",
		`syscall::openat:return /self->a/ { ${body} self->a = 0; }`,
	].join("\n");
	const r = await runDtop(["-q", "-n", script, "-c", `/bin/cat ${PATH}`]);
	assert.equal(r.code, 0, r.stderr);
	return r.stdout.split("\n");
}

test("copyinstr(self->a + 2, 108) in a return clause reads the entry's string from its third byte", async () => {
	const lines = await openReturn('printf("[%s]\\n", copyinstr(self->a + 2, 108));');
	assert.ok(lines.includes(`[${PATH.slice(2)}]`), lines.join("\n"));
});

test("copyinstr(self->a, 6) is at most 6 bytes, copyinstr(self->a, 1) is its first byte", async () => {
	const lines = await openReturn('printf("[%s|%s]\\n", copyinstr(self->a, 6), copyinstr(self->a, 1));');
	assert.ok(lines.includes(`[${PATH.slice(0, 6)}|/]`), lines.join("\n"));
});

test("trace(copyinstr(self->a + 5, 4)) records the four bytes after the offset", async () => {
	const lines = await openReturn('trace(copyinstr(self->a + 5, 4)); printf("\\n");');
	assert.ok(lines.includes(PATH.slice(5, 9)), lines.join("\n"));
});
