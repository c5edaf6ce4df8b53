// The `:` prompt is one line, but D's `#pragma` directives end at a newline.
// A `#pragma D option NAME[=VALUE]` typed there with more after it on the same
// line (`#pragma D option quiet BEGIN { ... }`) is taken as its own line: an
// option's name and value never hold a blank, so the directive ends at the
// first one. Any other text, and text with newlines already, is left as typed.

const OPTION = /^(\s*#\s*pragma\s+D\s+option\s+\S+)[ \t]+(?=\S)/;

/** The program a line typed at the prompt stands for. */
export function programFromPromptLine(text: string): string {
	let rest = text;
	const lines: string[] = [];
	for (let m = OPTION.exec(rest); m; m = OPTION.exec(rest)) {
		lines.push(m[1]!.trim());
		rest = rest.slice(m[0].length);
	}
	return lines.length ? `${lines.join("\n")}\n${rest}` : text;
}
