// The bash completion, run in bash: its function is called as bash's
// programmable completion calls it (COMP_LINE, COMP_POINT, COMP_WORDS split at
// the characters of COMP_WORDBREAKS), with the checkout's dtop as `dtop`.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { BUILTIN_PROVIDERS, completionScript, flagWords } from "../../scripts/packaging/completion.ts";

const SCRIPTS = fileURLToPath(new URL("../../scripts", import.meta.url));
let dir = "";
let script = "";

/**
 * COMPREPLY for the command line `line` (cursor at its end), the words split as
 * bash splits them (a word in an open quote stays whole; `:` splits otherwise).
 */
function complete(line: string, path = `${SCRIPTS}:/usr/bin:/bin`): string[] {
	const driver = `
source "$1"
COMP_LINE=$2
COMP_POINT=\${#COMP_LINE}
eval "COMP_WORDS=($3)"
COMP_CWORD=$(( \${#COMP_WORDS[@]} - 1 ))
_dtop dtop "\${COMP_WORDS[COMP_CWORD]}" "\${COMP_WORDS[COMP_CWORD-1]}"
printf '%s\\n' "\${COMPREPLY[@]}"`;
	const words = splitLikeBash(line)
		.map((w) => `'${w.replace(/'/g, "'\\''")}'`)
		.join(" ");
	const out = execFileSync("bash", ["-c", driver, "bash", script, line, words], {
		encoding: "utf8",
		env: { PATH: path, HOME: dir },
	});
	return out.split("\n").filter(Boolean);
}

/** Bash's split of a command line into COMP_WORDS for the default COMP_WORDBREAKS. */
function splitLikeBash(line: string): string[] {
	const words: string[] = [];
	let cur = "";
	let quote = "";
	for (const c of line) {
		if (quote) {
			cur += c;
			if (c === quote) quote = "";
		} else if (c === "'" || c === '"') {
			cur += c;
			quote = c;
		} else if (c === " ") {
			if (cur) words.push(cur);
			cur = "";
		} else if (c === ":") {
			if (cur && !cur.endsWith(":")) {
				words.push(cur);
				cur = "";
			}
			cur += c;
		} else {
			if (cur.endsWith(":")) {
				words.push(cur);
				cur = "";
			}
			cur += c;
		}
	}
	words.push(cur);
	return words;
}

describe("dtop.bash", () => {
	before(() => {
		dir = mkdtempSync(join(tmpdir(), "dtop-completion-"));
		script = join(dir, "dtop.bash");
		writeFileSync(script, completionScript());
	});
	after(() => rmSync(dir, { recursive: true, force: true }));

	it("is valid bash and registers itself for dtop and the single executables", () => {
		const out = execFileSync("bash", ["-c", 'source "$1"; complete -p dtop dtop-linux-x64', "bash", script], {
			encoding: "utf8",
		});
		assert.match(out, /complete -F _dtop dtop\n/);
		assert.match(out, /complete -F _dtop dtop-linux-x64\n/);
	});

	it("completes every flag of the flag table", () => {
		assert.deepEqual(complete("dtop --ma"), ["--max-probes"]);
		assert.deepEqual(complete("dtop --no-c"), ["--no-color"]);
		assert.deepEqual(complete("dtop -l --verb"), ["--verbose"]);
		assert.deepEqual(complete("dtop ").sort(), [...flagWords().all].sort());
		assert.ok(complete("dtop -").includes("-Z"));
		// After a flag that takes a value other than these, nothing is offered.
		assert.deepEqual(complete("dtop -d "), []);
	});

	it("completes provider names from dtop -l", () => {
		assert.deepEqual(complete("dtop -l -P sysc"), ["syscall"]);
		assert.deepEqual(complete("dtop -n sysc"), ["syscall:"]);
		assert.deepEqual(complete("dtop -n 'prof"), ["profile:"]);
	});

	it("completes whole probe descriptions, with or without the module, quoted or not", () => {
		// Unquoted, bash splits at ':' and replaces only what follows the last one.
		assert.deepEqual(complete("dtop -n syscall::getpp").sort(), ["getppid:entry", "getppid:return"]);
		assert.deepEqual(complete("dtop -n syscall:vmlinux:getppid:e"), ["entry"]);
		assert.deepEqual(complete("dtop -n 'syscall::getppid:r"), ["syscall::getppid:return"]);
		assert.ok(complete("dtop -n profile:::profile-").includes("profile-97"));
	});

	it("offers the kernel providers when dtop -l cannot run", () => {
		const fake = join(dir, "bin");
		mkdirSync(fake);
		writeFileSync(join(fake, "dtop"), "#!/bin/sh\necho 'dtop: not root' >&2\nexit 1\n");
		chmodSync(join(fake, "dtop"), 0o755);
		assert.deepEqual(complete("dtop -P ", `${fake}:/usr/bin:/bin`), BUILTIN_PROVIDERS);
		assert.deepEqual(complete("dtop -n sy", `${fake}:/usr/bin:/bin`), ["syscall:"]);
	});
});
