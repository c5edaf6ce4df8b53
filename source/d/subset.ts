// Today's subset of D (what source/session/lower.ts compiles): a parser that accepts
// only it and a restriction of full programs to it, both with the messages dtop has
// always given ('printf' is not supported, global variables are not supported; use
// self->x, ...). The statement-level rules are those of dtop's first parser, so its
// messages and their columns stay the same.

import * as core from "./ast.ts";
import { DSyntaxError, type Position } from "./errors.ts";
import type { Token } from "./lexer.ts";
import { syntax } from "./parse-expr.ts";
import { ProgramParser } from "./parse-program.ts";
import type { Expr, ProbeDescription, Program, Statement } from "./syntax.ts";

/** DTrace actions, subroutines, variables and aggregating functions today's back end
 * does not support: using one is reported as `'name' is not supported`. */
const UNSUPPORTED_NAMES = new Set(
	[
		"printf printa printm print trace tracemem exit stop raise system breakpoint panic chill copyout copyoutstr",
		"speculate speculation commit discard clear trunc normalize denormalize setopt freopen ftruncate stack jstack",
		"func ufunc sym usym mod umod uaddr copyin copyinto strjoin substr strstr strchr strrchr strtok index rindex",
		"basename dirname cleanpath lltostr toupper tolower strtoll inet_ntoa inet_ntoa6 inet_ntop htons htonl htonll",
		"ntohs ntohl ntohll rand alloca bcopy memref getmajor getminor ddi_pathname mutex_owned mutex_owner",
		"mutex_type_adaptive mutex_type_spin rw_read_held rw_write_held rw_iswriter msgsize msgdsize d_path link_ntop",
		"getf json llquantize curthread curpsinfo curlwpsinfo curcpu caller ucaller epid id errno ipl stackdepth",
		"ustackdepth cwd root zonename uregs execargs projid taskid",
	]
		.join(" ")
		.split(" "),
);

/** D keywords (statements, operators and declarations), none of which the subset has. */
const KEYWORDS = new Set(
	"if else for while do switch case default break continue return goto sizeof offsetof stringof xlate inline typedef translator provider probe counter import".split(
		" ",
	),
);

/** Type names and qualifiers. */
const TYPE_KEYWORDS = new Set(
	"int char short long signed unsigned float double void string struct union enum const volatile static extern register auto restrict int8_t int16_t int32_t int64_t uint8_t uint16_t uint32_t uint64_t intptr_t uintptr_t size_t ssize_t pid_t uid_t gid_t".split(
		" ",
	),
);

const ASSIGN_OPS = new Set(["+=", "-=", "*=", "/=", "%=", "&=", "^=", "|=", "<<=", ">>="]);
const BUILTINS: ReadonlySet<string> = new Set(core.BUILTIN_VARIABLES);
const FUNCTION_NAMES: ReadonlySet<string> = new Set(core.FUNCTIONS);
const AGG_NAMES: ReadonlySet<string> = new Set(core.AGG_FUNCTIONS);

const reserved = (name: string) => UNSUPPORTED_NAMES.has(name) || KEYWORDS.has(name) || TYPE_KEYWORDS.has(name);

/** Edit distance between two short words (insertions, deletions, substitutions, swaps). */
function distance(a: string, b: string): number {
	const d: number[][] = Array.from({ length: a.length + 1 }, (_, i) => [i, ...Array(b.length).fill(0)]);
	for (let j = 1; j <= b.length; j++) d[0]![j] = j;
	for (let i = 1; i <= a.length; i++) {
		for (let j = 1; j <= b.length; j++) {
			const cost = a[i - 1] === b[j - 1] ? 0 : 1;
			let v = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + cost);
			if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) v = Math.min(v, d[i - 2]![j - 2]! + 1);
			d[i]![j] = v;
		}
	}
	return d[a.length]![b.length]!;
}

/** The known name closest to a misspelt one, if it is close enough to be a likely typo. */
export function suggest(name: string, known: readonly string[]): string | undefined {
	let best: string | undefined;
	let bestDistance = Math.min(2, Math.floor(name.length / 3));
	for (const k of known) {
		const dist = k === name.toLowerCase() ? 0 : distance(name, k);
		if (dist <= bestDistance) {
			best = k;
			bestDistance = dist;
		}
	}
	return best;
}

const err = (pos: Position, reason: string) => new DSyntaxError(pos, reason);

function identifier(name: string, pos: Position): never {
	if (AGG_NAMES.has(name)) {
		throw err(
			pos,
			`aggregating function ${name}() can only be assigned to an aggregation, as in @name[key] = ${name}(...)`,
		);
	}
	if (reserved(name)) throw err(pos, `'${name}' is not supported`);
	if (/^arg[0-9]+$/.test(name)) throw err(pos, `'${name}' is not available; the probe arguments are arg0 to arg9`);
	const guess = suggest(name, core.BUILTIN_VARIABLES);
	throw err(
		pos,
		guess
			? `unknown variable '${name}'; did you mean '${guess}'?`
			: `unknown variable '${name}'; use a built-in variable such as pid or execname, or self->${name}`,
	);
}

/** Reject, in source order, the first thing in `e` that the subset does not have. */
export function restrictExpr(e: Expr): void {
	switch (e.kind) {
		case "int":
		case "string":
		case "self":
			return;
		case "builtin":
			if (BUILTINS.has(e.name)) return;
			if (e.name === "args") throw err(e.pos, "'args[]' is not supported; use arg0 to arg9");
			throw err(e.pos, `'${e.name}' is not supported`);
		case "this":
			throw err(e.pos, "'this->' is not supported; use self->name");
		case "ident":
			identifier(e.name, e.pos);
			return;
		case "aggvar":
			throw err(e.pos, `aggregation @${e.name} cannot be used in an expression; aggregations can only be assigned`);
		case "macro": {
			const text = `$${e.stringify ? "$" : ""}${e.name}`;
			throw err(
				e.pos,
				/^[0-9]/.test(e.name) ? `macro argument ${text} is not defined` : `macro variable ${text} is not defined`,
			);
		}
		case "unary":
			if (e.op === "+") throw err(e.pos, "unary '+' is not supported");
			if (e.op === "*") throw err(e.pos, "pointer dereference ('*') is not supported");
			if (e.op === "&") throw err(e.pos, "taking an address ('&') is not supported");
			restrictExpr(e.operand);
			return;
		case "incdec":
			if (!e.prefix) restrictExpr(e.operand);
			throw err(e.pos, `'${e.op}' is not supported`);
		case "binary":
			restrictExpr(e.left);
			if (e.op === "^^" || e.op === ",") throw err(e.pos, `'${e.op}' is not supported`);
			restrictExpr(e.right);
			return;
		case "ternary":
			restrictExpr(e.cond);
			throw err(e.pos, "'?:' is not supported");
		case "assignexpr":
			restrictExpr(e.target);
			throw err(
				e.pos,
				"syntax error near \"=\": assignment is only allowed as a statement (self->name = value); use '==' to compare",
			);
		case "call":
			if (FUNCTION_NAMES.has(e.fn)) {
				e.args.forEach(restrictExpr);
				return;
			}
			if (BUILTINS.has(e.fn)) {
				const at = { line: e.pos.line, column: e.pos.column + e.fn.length, offset: e.pos.offset + e.fn.length };
				throw err(at, `'${e.fn}' is a variable, not a function; remove the parentheses`);
			}
			if (AGG_NAMES.has(e.fn) || reserved(e.fn)) identifier(e.fn, e.pos);
			{
				const guess = suggest(e.fn, [...core.FUNCTIONS, ...core.AGG_FUNCTIONS]);
				throw err(e.pos, `unknown function '${e.fn}'${guess ? `; did you mean '${guess}'?` : ""}`);
			}
		case "index":
			if (e.base.kind === "builtin" && e.base.name === "args")
				throw err(e.base.pos, "'args[]' is not supported; use arg0 to arg9");
			if (e.base.kind === "ident") {
				if (reserved(e.base.name) || AGG_NAMES.has(e.base.name)) identifier(e.base.name, e.base.pos);
				throw err(
					e.base.pos,
					`associative arrays are not supported; use an aggregation such as @${e.base.name}[key] = count()`,
				);
			}
			restrictExpr(e.base);
			throw err(e.pos, "array subscripts ('[') are not supported");
		case "member":
			restrictExpr(e.base);
			throw err(e.pos, e.op === "->" ? "'->' is not supported" : "member access ('.') is not supported");
		case "cast":
			throw err(e.pos, "casts are not supported");
		case "sizeof":
		case "stringof":
		case "offsetof":
		case "xlate":
			throw err(e.pos, `'${e.kind}' is not supported`);
	}
}

/**
 * The value of an integer constant expression (literals combined with unary and binary
 * operators), with 64-bit signed wrap-around as in C; undefined if not constant (or if
 * it divides by zero or shifts by 64 or more).
 */
export function constantValue(e: core.Expr): bigint | undefined {
	switch (e.kind) {
		case "int":
			return BigInt.asIntN(64, e.value);
		case "unary": {
			const v = constantValue(e.operand);
			if (v === undefined) return undefined;
			if (e.op === "-") return BigInt.asIntN(64, -v);
			if (e.op === "~") return BigInt.asIntN(64, ~v);
			return v === 0n ? 1n : 0n;
		}
		case "binary": {
			const l = constantValue(e.left);
			const r = constantValue(e.right);
			if (l === undefined || r === undefined) return undefined;
			const w = (v: bigint) => BigInt.asIntN(64, v);
			switch (e.op) {
				case "+":
					return w(l + r);
				case "-":
					return w(l - r);
				case "*":
					return w(l * r);
				case "/":
					return r === 0n ? undefined : w(l / r);
				case "%":
					return r === 0n ? undefined : w(l % r);
				case "<<":
					return r < 0n || r > 63n ? undefined : w(l << r);
				case ">>":
					return r < 0n || r > 63n ? undefined : l >> r;
				case "&":
					return l & r;
				case "|":
					return l | r;
				case "^":
					return l ^ r;
				case "<":
					return l < r ? 1n : 0n;
				case "<=":
					return l <= r ? 1n : 0n;
				case ">":
					return l > r ? 1n : 0n;
				case ">=":
					return l >= r ? 1n : 0n;
				case "==":
					return l === r ? 1n : 0n;
				case "!=":
					return l !== r ? 1n : 0n;
				case "&&":
					return l !== 0n && r !== 0n ? 1n : 0n;
				case "||":
					return l !== 0n || r !== 0n ? 1n : 0n;
			}
			return undefined;
		}
		default:
			return undefined;
	}
}

/** Reject probe descriptions the subset has no provider for. */
export function restrictProbe(d: ProbeDescription): void {
	const special = d.name === "BEGIN" || d.name === "END" || d.name === "ERROR";
	if ((d.provider === "" || d.provider === "dtrace") && d.module === "" && d.function === "" && special) {
		const text = d.text || d.name;
		const at = d.pos.line === 0 ? d.pos : { ...d.pos, column: d.pos.column + text.length - d.name.length };
		throw err({ ...at, offset: d.pos.offset + text.length - d.name.length }, `'${d.name}' is not supported`);
	}
	if (d.provider === "dtrace") throw err(d.pos, "the dtrace provider is not supported");
}

function restrictStatement(s: Statement): void {
	switch (s.kind) {
		case "aggregate":
			s.keys.forEach(restrictExpr);
			if (s.fn === "llquantize" || UNSUPPORTED_NAMES.has(s.fn)) throw err(s.fnPos, `'${s.fn}' is not supported`);
			if (!AGG_NAMES.has(s.fn)) {
				throw err(
					s.fnPos,
					`@${s.name} must be assigned the result of an aggregating function (count, sum, avg, min, max, stddev, quantize, lquantize)`,
				);
			}
			s.args.forEach(restrictExpr);
			return;
		case "assign":
			if (s.target.kind !== "self") {
				if (s.target.kind !== "ident" || reserved(s.target.name)) restrictExpr(s.target);
				const name = s.target.kind === "ident" ? s.target.name : "x";
				throw err(s.pos, `global variables are not supported; use a thread-local variable such as self->${name}`);
			}
			if (s.op !== "=") throw err(s.opPos, `'${s.op}' is not supported; write self->${s.target.name} = ...`);
			restrictExpr(s.value);
			return;
		case "expr":
			restrictExpr(s.expr);
			throw err(
				s.pos,
				"a statement must update an aggregation (@name[key] = count()) or a thread-local variable (self->name = value)",
			);
		case "if":
			throw err(s.pos, "'if' is not supported");
	}
}

/** Narrow a program of the full language to the subset, or throw what it lacks. */
export function restrictProgram(p: Program): core.Program {
	const first = [...p.pragmas, ...p.declarations].sort((a, b) => a.pos.offset - b.pos.offset)[0];
	if (first)
		throw err(first.pos, first.kind === "pragma" ? "'#pragma' is not supported" : "declarations are not supported");
	for (const c of p.clauses) {
		c.probes.forEach(restrictProbe);
		if (c.predicate) restrictExpr(c.predicate);
		c.statements.forEach(restrictStatement);
	}
	return p as unknown as core.Program;
}

/** The parser of the subset: the full parser with dtop's first statement rules. */
export class CoreParser extends ProgramParser {
	constructor(text: string) {
		super(text, { language: "core" });
	}

	protected override restrictBefore(e: Expr): void {
		restrictExpr(e);
	}

	protected override empty(t: Token): never {
		throw err(t.pos, "the program is empty; write a clause such as syscall::read:entry { @[execname] = count(); }");
	}

	protected override declarationStart(t: Token): void {
		throw err(t.pos, `'${t.text.split("*")[0]}' is not supported: dtop has no declarations`);
	}

	protected override probeDescription(t: Token): ProbeDescription {
		if (t.kind === "pspec" && (reserved(t.text) || t.text === "self" || t.text === "this")) {
			throw err(t.pos, `'${t.text}' is not supported: dtop has no declarations`);
		}
		const d = super.probeDescription(t);
		restrictProbe(d);
		return d;
	}

	protected override predicateExpression(): Expr {
		const e = this.expression();
		restrictExpr(e);
		return e;
	}

	private restricted(): Expr {
		const e = this.expression();
		restrictExpr(e);
		return e;
	}

	protected override statement(): Statement {
		const t = this.peek();
		if (t.kind === "agg") return this.aggregate();
		if (t.kind === "ident" && t.text === "self") return this.selfAssignment();
		if (t.kind === "ident") {
			const next = this.peek(1);
			const known = BUILTINS.has(t.text) || FUNCTION_NAMES.has(t.text) || AGG_NAMES.has(t.text);
			if (BUILTINS.has(t.text) && (this.is(next, "=") || ASSIGN_OPS.has(next.text))) {
				throw err(t.pos, `built-in variable '${t.text}' cannot be assigned`);
			}
			if (!known && !reserved(t.text) && t.text !== "this") {
				if (this.is(next, "=") || ASSIGN_OPS.has(next.text) || this.is(next, "++") || this.is(next, "--")) {
					throw err(t.pos, `global variables are not supported; use a thread-local variable such as self->${t.text}`);
				}
			}
		}
		const e = this.restricted();
		if (e.kind === "call" && (e.fn === "ustack" || e.fn === "kstack")) {
			throw err(
				e.pos,
				`${e.fn}() as a statement is not supported; use it as an aggregation key, as in @[${e.fn}()] = count()`,
			);
		}
		throw err(
			t.pos,
			"a statement must update an aggregation (@name[key] = count()) or a thread-local variable (self->name = value)",
		);
	}

	private selfAssignment(): Statement {
		const self = this.take();
		const arrow = this.take();
		if (!this.is(arrow, "->")) throw syntax(arrow, "'->' after 'self'");
		const v = this.take();
		if (v.kind !== "ident") throw syntax(v, "a variable name after 'self->'");
		const target: core.SelfVar = { kind: "self", name: v.text, pos: self.pos };
		const op = this.peek();
		if (ASSIGN_OPS.has(op.text) || this.is(op, "++") || this.is(op, "--")) {
			throw err(op.pos, `'${op.text}' is not supported; write self->${target.name} = ...`);
		}
		if (!this.is(op, "=")) throw syntax(op, `'=' after self->${target.name}`);
		this.take();
		const value = this.restricted();
		return { kind: "assign", op: "=", target, value, pos: target.pos, opPos: op.pos };
	}

	private aggregate(): Statement {
		const at = this.take();
		const name = at.value as string;
		const label = `@${name}`;
		const keys: Expr[] = [];
		if (this.is(this.peek(), "[")) {
			this.take();
			if (this.is(this.peek(), "]")) throw syntax(this.peek(), "a key expression");
			for (;;) {
				keys.push(this.restricted());
				const t = this.take();
				if (this.is(t, "]")) break;
				if (!this.is(t, ",")) throw syntax(t, "',' or ']'");
			}
		}
		const op = this.peek();
		if (ASSIGN_OPS.has(op.text) || this.is(op, "++") || this.is(op, "--")) {
			throw err(op.pos, `'${op.text}' is not supported; write ${label} = count() or similar`);
		}
		if (this.is(op, ";") || this.is(op, "}") || op.kind === "eof") {
			throw err(at.pos, `${label} must be assigned the result of an aggregating function, such as ${label} = count()`);
		}
		if (!this.is(op, "=")) throw syntax(op, "'=' or '['");
		this.take();
		const fn = this.peek();
		if (fn.kind === "ident" && fn.text === "llquantize") throw err(fn.pos, "'llquantize' is not supported");
		if (fn.kind !== "ident" || !AGG_NAMES.has(fn.text) || !this.is(this.peek(1), "(")) {
			if (fn.kind === "ident" && UNSUPPORTED_NAMES.has(fn.text)) throw err(fn.pos, `'${fn.text}' is not supported`);
			throw err(
				fn.pos,
				`${label} must be assigned the result of an aggregating function (count, sum, avg, min, max, stddev, quantize, lquantize)`,
			);
		}
		this.take();
		this.take();
		const args: Expr[] = [];
		if (this.is(this.peek(), ")")) this.take();
		else {
			for (;;) {
				args.push(this.restricted());
				const t = this.take();
				if (this.is(t, ")")) break;
				if (!this.is(t, ",")) throw syntax(t, "',' or ')'");
			}
		}
		return { kind: "aggregate", name, keys, fn: fn.text, args, pos: at.pos, fnPos: fn.pos };
	}
}
