// dtop.bash, the bash completion, made from the flag table (FLAGS in
// source/app/flags.ts) so it offers exactly the flags dtop parses. Provider
// names and probe descriptions come from `dtop -l` when it can run (as root),
// else the kernel providers every machine has. scripts/package writes it to
// dist/package/dtop.bash; test/packaging/completion.test.ts runs it in bash.
import { FLAGS } from "../../source/app/flags.ts";

/** The kernel providers, offered when `dtop -l` cannot run (not root). */
export const BUILTIN_PROVIDERS = ["syscall", "sdt", "profile", "fbt", "pid"];

interface Spec {
	type: string;
	shortFlag?: string;
	default?: unknown;
}

/** Every word that starts a flag: -x and --long (and --no-long for flags on by default). */
export function flagWords(): { all: string[]; withValue: string[] } {
	const all: string[] = [];
	const withValue: string[] = [];
	for (const [long, s] of Object.entries(FLAGS as Record<string, Spec>)) {
		const words = [`--${long}`];
		if (s.shortFlag) words.unshift(`-${s.shortFlag}`);
		if (s.type === "boolean" && s.default === true) words.push(`--no-${long}`);
		all.push(...words);
		if (s.type === "string") withValue.push(...words);
	}
	return { all, withValue };
}

export function completionScript(): string {
	const { all, withValue } = flagWords();
	const special = /^(-P|--provider|-n|--name|-s|--script|-c|--command)$/;
	return `# bash completion for dtop (made from dtop's flag table by scripts/package).
# Install: copy to /usr/share/bash-completion/completions/dtop, or source it.
_dtop_load() {
	# PROVIDER:MODULE:FUNCTION:NAME of every probe \`dtop -l\` lists (as root), and
	# with the module left empty as D allows (syscall::read:entry), and the
	# providers among them; read once per shell (so called outside a subshell).
	[ -n "\${_dtop_probes+x}" ] && return
	_dtop_probes=$(command "\${1:-dtop}" -l --json 2>/dev/null | sed -n 's/^{"id":[0-9]*,"provider":"\\([^"]*\\)","module":"\\([^"]*\\)","function":"\\([^"]*\\)","name":"\\([^"]*\\)".*/\\1:\\2:\\3:\\4/p' | awk -F: '{ print } $2 != "" { print $1 "::" $3 ":" $4 }')
	_dtop_providers=$(printf '%s\\n' "$_dtop_probes" | cut -d: -f1 | sort -u)
	[ -n "$_dtop_providers" ] || _dtop_providers="${BUILTIN_PROVIDERS.join("\n")}"
}
_dtop() {
	local line word before prev quote="" IFS=$'\\n'
	COMPREPLY=()
	# Whole words from the line: bash splits an unquoted word at ':'.
	line=\${COMP_LINE:0:COMP_POINT}
	word=\${line##*[[:space:]]}
	before=\${line%"$word"}
	before=\${before%"\${before##*[![:space:]]}"}
	prev=\${before##*[[:space:]]}
	case "$word" in
	\\'* | \\"*)
		quote=1
		word=\${word:1}
		;;
	esac
	case "$prev" in
	-P | --provider | -n | --name) _dtop_load "$1" ;;
	esac
	case "$prev" in
	-P | --provider)
		COMPREPLY=($(compgen -W "$_dtop_providers" -- "$word"))
		return 0
		;;
	-s | --script)
		COMPREPLY=($(compgen -f -- "$word"))
		return 0
		;;
	-c | --command)
		COMPREPLY=($(compgen -c -- "$word"))
		return 0
		;;
	-n | --name)
		if [[ "$word" != *:* ]]; then
			COMPREPLY=($(compgen -S : -W "$_dtop_providers" -- "$word"))
		else
			COMPREPLY=($(compgen -W "$_dtop_probes" -- "$word"))
			# Unquoted, bash replaces only what follows the last colon.
			if [ -z "$quote" ]; then
				local i
				for i in "\${!COMPREPLY[@]}"; do COMPREPLY[i]=\${COMPREPLY[i]#"\${word%:*}:"}; done
			fi
		fi
		compopt -o nospace 2>/dev/null
		return 0
		;;
	${withValue.filter((w) => !special.test(w)).join(" | ")})
		return 0
		;;
	esac
	COMPREPLY=($(compgen -W "${all.join("\n")}" -- "$word"))
	return 0
}
complete -F _dtop dtop dtop-linux-x64 dtop-linux-arm64
`;
}

if (process.argv[1]?.endsWith("completion.ts")) process.stdout.write(completionScript());
