// D's actions, subroutines and aggregating functions with their prototypes (as in
// DTrace's dt_open.c identifier table), and what the checker needs to know about each:
// does it record data, is it destructive, does it need the kernel's C types.

import type { DType } from "./types.ts";
import { INT, INT64, SIZE_T, STACK, STRING, typedef, UINT32, UINT64, VOID } from "./types.ts";

/** What a parameter accepts. */
export type Param =
	/** Any integer. */
	| "int"
	/** A string or char pointer. */
	| "str"
	/** An address: an integer or a pointer. */
	| "addr"
	/** A pointer (or NULL). */
	| "ptr"
	/** Anything (DTrace's `@`). */
	| "any"
	/** An aggregation. */
	| "agg";

export type FnKind = "action" | "subroutine" | "aggregating";

export interface FnSpec {
	name: string;
	kind: FnKind;
	/** The result type: void for most actions. */
	ret: DType;
	params: Param[];
	/** How the prototype names each parameter in messages (`const char *`, `uint32_t`, ...). */
	protos: string[];
	/** Parameters from this index on may be left out. */
	optionalFrom?: number;
	/** More arguments may follow the parameters. */
	varargs?: boolean;
	/** Records data for the consumer (printf, trace, stack, ...). */
	records?: boolean;
	/** Changes the traced system (needs -w / destructive). */
	destructive?: boolean;
	/** Not available in dtop, and why. */
	unsupported?: string;
}

const KERNEL = "it needs the kernel's C types, which dtop does not read";

function param(p: string): Param {
	if (p === "@") return "any";
	if (p === "agg") return "agg";
	if (p === "const char *" || p === "string" || p === "char *") return "str";
	if (p === "uintptr_t") return "addr";
	if (p.endsWith("*")) return "ptr";
	return "int";
}

function fn(
	name: string,
	kind: FnKind,
	ret: DType,
	protos: string[],
	extra: Partial<Omit<FnSpec, "name" | "kind" | "ret" | "protos" | "params">> = {},
): FnSpec {
	const optional = protos.findIndex((p) => p.startsWith("["));
	// DTrace's messages name a `const char *` parameter `char *` (its qualifiers are not printed).
	const clean = protos.map((p) => p.replace(/^\[|\]$/g, "").replace(/^const /, ""));
	const spec: FnSpec = { name, kind, ret, params: clean.map(param), protos: clean, ...extra };
	if (optional >= 0) spec.optionalFrom = optional;
	return spec;
}

const SYM: DType = { k: "symaddr", user: false };
const USYM: DType = { k: "symaddr", user: true };
const VOIDP: DType = { k: "ptr", to: VOID };
const action = (name: string, protos: string[], extra: Partial<FnSpec> = {}) =>
	fn(name, "action", VOID, protos, { records: true, ...extra });
const subr = (name: string, ret: DType, protos: string[], extra: Partial<FnSpec> = {}) =>
	fn(name, "subroutine", ret, protos, extra);
const agg = (name: string, protos: string[], extra: Partial<FnSpec> = {}) =>
	fn(name, "aggregating", VOID, protos, extra);

const SPECS: FnSpec[] = [
	// actions
	action("printf", ["string"], { varargs: true }),
	action("printa", ["@"], { varargs: true }),
	action("trace", ["@"]),
	action("tracemem", ["@", "size_t", "[size_t]"]),
	action("exit", ["int"]),
	action("clear", ["agg"]),
	action("trunc", ["agg", "[int64_t]"]),
	action("normalize", ["agg", "uint64_t"]),
	action("denormalize", ["agg"]),
	action("setopt", ["const char *", "[const char *]"]),
	action("speculate", ["int"], { records: false }),
	action("commit", ["int"], { records: false }),
	action("discard", ["int"], { records: false }),
	fn("stack", "action", STACK, ["[uint32_t]"], { records: true }),
	fn("ustack", "action", STACK, ["[uint32_t]", "[uint32_t]"], { records: true }),
	fn("jstack", "action", STACK, ["[uint32_t]", "[uint32_t]"], { records: true }),
	// dtop's name for stack() as an aggregation key, kept from its first subset.
	fn("kstack", "action", STACK, ["[uint32_t]"], { records: true }),
	fn("func", "action", SYM, ["uintptr_t"], { records: true }),
	fn("sym", "action", SYM, ["uintptr_t"], { records: true }),
	fn("mod", "action", SYM, ["uintptr_t"], { records: true }),
	fn("ufunc", "action", USYM, ["uintptr_t"], { records: true }),
	fn("usym", "action", USYM, ["uintptr_t"], { records: true }),
	fn("umod", "action", USYM, ["uintptr_t"], { records: true }),
	fn("uaddr", "action", USYM, ["uintptr_t"], { records: true }),
	action("freopen", ["@"], { varargs: true }),
	action("ftruncate", []),
	action("system", ["@"], { varargs: true, destructive: true }),
	action("raise", ["int"], { destructive: true }),
	action("stop", [], { destructive: true }),
	action("breakpoint", [], { destructive: true }),
	action("panic", [], { destructive: true }),
	action("chill", ["int"], { destructive: true }),
	action("pcap", ["void *", "int"], { unsupported: "it needs the kernel's network buffers' C types" }),
	action("print", ["void *"], { unsupported: `print() prints data by its C type; ${KERNEL}` }),
	action("printm", ["@", "@"], { unsupported: "it is not in DTrace for Linux" }),
	subr("copyout", VOID, ["void *", "uintptr_t", "size_t"], { destructive: true }),
	subr("copyoutstr", VOID, ["char *", "uintptr_t", "size_t"], { destructive: true }),
	// subroutines
	subr("strlen", SIZE_T, ["const char *"]),
	subr("strjoin", STRING, ["const char *", "const char *"]),
	subr("substr", STRING, ["const char *", "int", "[int]"]),
	subr("index", INT, ["const char *", "const char *", "[int]"]),
	subr("rindex", INT, ["const char *", "const char *", "[int]"]),
	subr("strstr", STRING, ["const char *", "const char *"]),
	subr("strchr", STRING, ["const char *", "char"]),
	subr("strrchr", STRING, ["const char *", "char"]),
	subr("strtok", STRING, ["const char *", "const char *"]),
	subr("basename", STRING, ["const char *"]),
	subr("dirname", STRING, ["const char *"]),
	subr("cleanpath", STRING, ["const char *"]),
	subr("lltostr", STRING, ["int64_t", "[int]"]),
	subr("strtoll", INT64, ["const char *", "[int]"]),
	subr("toupper", STRING, ["const char *"]),
	subr("tolower", STRING, ["const char *"]),
	subr("copyin", VOIDP, ["uintptr_t", "size_t"]),
	subr("copyinstr", STRING, ["uintptr_t", "[size_t]"]),
	subr("copyinto", VOID, ["uintptr_t", "size_t", "void *"]),
	subr("inet_ntoa", STRING, ["ipaddr_t *"]),
	subr("inet_ntoa6", STRING, ["struct in6_addr *", "[int]"]),
	subr("inet_ntop", STRING, ["int", "void *"]),
	subr("htons", typedef("uint16_t")!, ["uint16_t"]),
	subr("htonl", UINT32, ["uint32_t"]),
	subr("htonll", UINT64, ["uint64_t"]),
	subr("ntohs", typedef("uint16_t")!, ["uint16_t"]),
	subr("ntohl", UINT32, ["uint32_t"]),
	subr("ntohll", UINT64, ["uint64_t"]),
	subr("rand", INT, []),
	subr("speculation", INT, []),
	subr("progenyof", INT, ["pid_t"]),
	subr("alloca", VOIDP, ["size_t"], {
		unsupported: "scratch memory is used through pointers, which dtop does not support",
	}),
	subr("bcopy", VOID, ["void *", "void *", "size_t"], {
		unsupported: "scratch memory is used through pointers, which dtop does not support",
	}),
	subr("link_ntop", STRING, ["int", "void *"], { unsupported: KERNEL }),
	subr("d_path", STRING, ["struct path *"], { unsupported: KERNEL }),
	subr("getmajor", UINT32, ["dev_t"]),
	subr("getminor", UINT32, ["dev_t"]),
	subr("ddi_pathname", STRING, ["void *", "int64_t"], { unsupported: KERNEL }),
	...["mutex_owned", "mutex_type_adaptive", "mutex_type_spin"].map((n) =>
		subr(n, INT, ["struct mutex *"], { unsupported: KERNEL }),
	),
	...["rw_read_held", "rw_write_held", "rw_iswriter"].map((n) => subr(n, INT, ["rwlock_t *"], { unsupported: KERNEL })),
	subr("mutex_owner", VOIDP, ["struct mutex *"], { unsupported: KERNEL }),
	subr("msgsize", SIZE_T, ["mblk_t *"], { unsupported: KERNEL }),
	subr("msgdsize", SIZE_T, ["mblk_t *"], { unsupported: KERNEL }),
	// aggregating functions: value, then parameters, then an optional increment
	agg("count", []),
	agg("sum", ["@"]),
	agg("avg", ["@"]),
	agg("min", ["@"]),
	agg("max", ["@"]),
	agg("stddev", ["@"]),
	agg("quantize", ["@", "[@]"]),
	agg("lquantize", ["@", "int32_t", "int32_t", "[int32_t]", "[@]"]),
	agg("llquantize", ["@", "int32_t", "int32_t", "int32_t", "int32_t", "[@]"]),
];

/** Every action, subroutine and aggregating function by name. */
export const FUNCTIONS: ReadonlyMap<string, FnSpec> = new Map(SPECS.map((s) => [s.name, s]));

export const AGGREGATING: readonly string[] = SPECS.filter((s) => s.kind === "aggregating").map((s) => s.name);

/** Actions that take an aggregation as their first argument. */
export const AGG_ACTIONS: ReadonlySet<string> = new Set(["clear", "trunc", "normalize", "denormalize", "printa"]);
