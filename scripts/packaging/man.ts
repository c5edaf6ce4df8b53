// dtop.1, the man page, made from the same tables as `dtop --help` (HELP and
// FLAGS in source/app/flags.ts) and the interactive UI's help and the README's
// key table (KEY_ROWS in source/ui/keys.ts), so none of them can say something
// the others do not. scripts/package writes it to dist/package/dtop.1, which the
// npm package installs (package.json "man"); test/packaging/man.test.ts checks
// that every flag and every key is in it and that man(1) renders it.
import pkg from "../../package.json" with { type: "json" };
import { FLAGS, HELP } from "../../source/app/flags.ts";
import { KEY_ROWS } from "../../source/ui/keys.ts";

export interface HelpOption {
	/** As the help writes it: `-n, --name DESC|CLAUSE`. */
	forms: string;
	short?: string;
	long: string;
	value?: string;
	text: string;
}

export interface HelpSection {
	title: string;
	options: HelpOption[];
}

const OPTION = /^ {4}(?:-(\w), )?(?: {4})?--([\w-]+)(?: ([^ ]+(?: [^ ]+)*?))?\s{2,}(\S.*)$/;

/** The option sections of HELP (Listing, Tracing, and the untitled last one), parsed. */
export function helpSections(help = HELP): HelpSection[] {
	const sections: HelpSection[] = [];
	let current: HelpSection | undefined;
	for (const line of help.split("\n")) {
		const title = /^ {2}([A-Z][a-z]+)$/.exec(line);
		if (title) {
			current = title[1] === "Usage" ? undefined : { title: title[1], options: [] };
			if (current) sections.push(current);
			continue;
		}
		const m = OPTION.exec(line);
		if (!m) continue;
		if (!current) {
			current = { title: "Other", options: [] };
			sections.push(current);
		}
		const [, short, long, value, text] = m;
		const forms = `${short ? `-${short}, ` : ""}--${long}${value ? ` ${value}` : ""}`;
		current.options.push({ forms, short, long, value, text });
	}
	return sections.filter((s) => s.options.length > 0);
}

/** The usage lines of HELP, without the `$ `. */
export function usageLines(help = HELP): string[] {
	return help
		.split("\n")
		.filter((l) => /^ {4}\$ dtop/.test(l))
		.map(
			(l) =>
				l
					.trim()
					.slice(2)
					.split(/\s{2,}/)[0],
		);
}

/** HELP's closing paragraph (probe descriptions). */
function closingText(help = HELP): string {
	const lines = help.trimEnd().split("\n");
	const out: string[] = [];
	for (let i = lines.length - 1; i >= 0 && lines[i].startsWith("  ") && !lines[i].startsWith("    "); i--) {
		out.unshift(lines[i].trim());
	}
	return out.join(" ");
}

/** Text for roff: backslashes, hyphens and a leading dot or quote escaped. */
export function roff(text: string): string {
	return text
		.replace(/\\/g, "\\e")
		.replace(/-/g, "\\-")
		.replace(/^([.'])/, "\\&$1");
}

/** The man page (roff, man macros). */
export function manPage(): string {
	const out: string[] = [];
	out.push(`.TH DTOP 1 "" "dtop ${pkg.version}" "User Commands"`);
	out.push(".SH NAME", `dtop \\- ${roff(pkg.description.replace(/^A /, "a "))}`);
	out.push(".SH SYNOPSIS", ".nf");
	for (const u of usageLines()) out.push(`.B ${roff(u)}`);
	out.push(".fi");
	out.push(
		".SH DESCRIPTION",
		roff(
			"dtop traces the running system with DTrace's D language on eBPF. Without -n or -s it opens the interactive UI: a tree of every probe, a table of what is enabled and a detail pane with live aggregations. With -n or -s and -b, or when standard output is not a terminal, it traces in batch mode and prints what the clauses print. It needs root.",
		),
		".PP",
		roff(closingText()),
	);
	out.push(".SH OPTIONS");
	for (const s of helpSections()) {
		out.push(`.SS ${roff(s.title)}`);
		for (const o of s.options) {
			const spec = (FLAGS as Record<string, { type: string }>)[o.long.replace(/^no-/, "")];
			out.push(".TP");
			const forms = [
				o.short ? `\\fB\\-${o.short}\\fR` : "",
				`\\fB${roff(`--${o.long}`)}\\fR${o.value && spec?.type === "string" ? ` \\fI${roff(o.value)}\\fR` : ""}`,
			].filter(Boolean);
			out.push(forms.join(", "));
			out.push(roff(o.text));
		}
	}
	out.push(".SH KEYS", roff("The keys of the interactive UI (? shows the same list there)."));
	let section = "";
	for (const row of KEY_ROWS) {
		if (row.section !== section) {
			section = row.section;
			out.push(`.SS ${roff(section)}`);
		}
		out.push(".TP", `.B ${roff(row.label.split(/ {2,}/).join(", "))}`, roff(row.help));
	}
	out.push(
		".SH EXAMPLES",
		".nf",
		roff("sudo dtop"),
		roff("sudo dtop -l -P syscall"),
		roff("sudo dtop -n 'syscall::openat:entry { @[execname] = count(); }' -d 5"),
		roff("sudo dtop -n 'syscall::getpid:entry { @ = count(); }' -c 'CMD ARGS'"),
		roff("dtop --demo"),
		".fi",
		".SH FILES",
		".TP",
		".I /var/cache/dtop/VERSION\\-ID",
		roff(
			"The single executable (dtop-linux-x64, dtop-linux-arm64) unpacks its native module and demo program here, into a directory owned by root and writable by nobody else; it refuses a directory or file there that another user owns or can write.",
		),
		".SH EXIT STATUS",
		roff("0 on success, 1 on an error, 2 on wrong usage."),
		".SH SEE ALSO",
		".BR dtrace (1),",
		".BR bpftrace (8),",
		".BR perf (1)",
	);
	return `${out.join("\n")}\n`;
}

if (process.argv[1]?.endsWith("man.ts")) process.stdout.write(manPage());
