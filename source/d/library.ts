// What D defines before a program starts: the built-in variables with their types
// (dt_open.c's identifier table), the macro variables, and the integer constants of
// DTrace's D libraries that scripts name (errno values, signals, uregs[] indices).
// The values are facts of Linux on x86_64 (errno.h, signal.h, the order of struct
// pt_regs), written out here from those headers.

import type { DType } from "./types.ts";
import { INT, INT64, STRING, typedef, UINT32, UINT64, UINTPTR } from "./types.ts";

const uint = typedef("uint_t")!;

/** Built-in variables and their types; `null` types need the kernel's C types. */
export const BUILTIN_TYPES: ReadonlyMap<string, DType | null> = new Map<string, DType | null>([
	["pid", typedef("pid_t")!],
	["tid", typedef("id_t")!],
	["ppid", typedef("pid_t")!],
	["uid", typedef("uid_t")!],
	["gid", typedef("gid_t")!],
	["cpu", typedef("processorid_t")!],
	["execname", STRING],
	["probeprov", STRING],
	["probemod", STRING],
	["probefunc", STRING],
	["probename", STRING],
	["timestamp", UINT64],
	["vtimestamp", UINT64],
	["walltimestamp", INT64],
	// dtop's: the id of the process's cgroup (v2), the inode number of its directory under /sys/fs/cgroup.
	["cgroup", UINT64],
	// dtop's: the container name derived from that cgroup's path (source/catalog/cgroups.ts).
	["container", STRING],
	["arg0", INT64],
	["arg1", INT64],
	["arg2", INT64],
	["arg3", INT64],
	["arg4", INT64],
	["arg5", INT64],
	["arg6", INT64],
	["arg7", INT64],
	["arg8", INT64],
	["arg9", INT64],
	// dtop's name for the return value of a :return probe (DTrace's arg1 / args[1]).
	["retval", INT64],
	["errno", INT],
	["id", uint],
	["epid", UINT64],
	["ipl", uint],
	["caller", UINTPTR],
	["ucaller", UINT64],
	["stackdepth", UINT32],
	["ustackdepth", UINT32],
	// D library inlines over curthread (procfs.d): strings dtop reads without kernel types.
	["cwd", STRING],
	["root", STRING],
	// Not in DTrace for Linux: the process's arguments (FreeBSD's execargs, Solaris' psargs)
	// and the cgroup id (bpftrace's cgroup), which BPF reads without the kernel's types.
	["execargs", STRING],
	["psargs", STRING],
	["cgroup", UINT64],
	["container", STRING],
	// Arrays, indexed like args[0] and uregs[R_PC].
	["args", null],
	["uregs", UINT64],
	// Kernel structures: their members need the kernel's C types.
	["curthread", null],
	["curpsinfo", null],
	["curlwpsinfo", null],
	["curcpu", null],
]);

/** Names of the kernel structures behind curthread & co, for error messages. */
export const KERNEL_STRUCT_BUILTINS: ReadonlyMap<string, string> = new Map([
	["curthread", "struct task_struct *"],
	["curpsinfo", "psinfo_t *"],
	["curlwpsinfo", "lwpsinfo_t *"],
	["curcpu", "cpuinfo_t *"],
]);

export function isBuiltinVariable(name: string): boolean {
	return BUILTIN_TYPES.has(name);
}

/** Macro variables (`$pid`, `$target`, ...): values of the dtop process (or its target). */
export const MACRO_VARIABLES = ["egid", "euid", "gid", "pid", "pgid", "ppid", "sid", "target", "uid"] as const;
export type MacroVariable = (typeof MACRO_VARIABLES)[number];

const ERRNO: readonly string[] = [
	"",
	"EPERM",
	"ENOENT",
	"ESRCH",
	"EINTR",
	"EIO",
	"ENXIO",
	"E2BIG",
	"ENOEXEC",
	"EBADF",
	"ECHILD",
	"EAGAIN",
	"ENOMEM",
	"EACCES",
	"EFAULT",
	"ENOTBLK",
	"EBUSY",
	"EEXIST",
	"EXDEV",
	"ENODEV",
	"ENOTDIR",
	"EISDIR",
	"EINVAL",
	"ENFILE",
	"EMFILE",
	"ENOTTY",
	"ETXTBSY",
	"EFBIG",
	"ENOSPC",
	"ESPIPE",
	"EROFS",
	"EMLINK",
	"EPIPE",
	"EDOM",
	"ERANGE",
	"EDEADLK",
	"ENAMETOOLONG",
	"ENOLCK",
	"ENOSYS",
	"ENOTEMPTY",
	"ELOOP",
];

const SIGNALS: readonly string[] = [
	"",
	"SIGHUP",
	"SIGINT",
	"SIGQUIT",
	"SIGILL",
	"SIGTRAP",
	"SIGABRT",
	"SIGBUS",
	"SIGFPE",
	"SIGKILL",
	"SIGUSR1",
	"SIGSEGV",
	"SIGUSR2",
	"SIGPIPE",
	"SIGALRM",
	"SIGTERM",
	"SIGSTKFLT",
	"SIGCHLD",
	"SIGCONT",
	"SIGSTOP",
	"SIGTSTP",
	"SIGTTIN",
	"SIGTTOU",
	"SIGURG",
	"SIGXCPU",
	"SIGXFSZ",
	"SIGVTALRM",
	"SIGPROF",
	"SIGWINCH",
	"SIGIO",
	"SIGPWR",
	"SIGSYS",
];

/** x86_64 struct pt_regs, in the order DTrace's uregs[] indexes it (r15 first). */
const REGS: readonly string[] = [
	"R_R15",
	"R_R14",
	"R_R13",
	"R_R12",
	"R_RBP",
	"R_RBX",
	"R_R11",
	"R_R10",
	"R_R9",
	"R_R8",
	"R_RAX",
	"R_RCX",
	"R_RDX",
	"R_RSI",
	"R_RDI",
	"R_ERR",
	"R_RIP",
	"R_CS",
	"R_RFL",
	"R_RSP",
	"R_SS",
	"R_DS",
	"R_ES",
	"R_FS",
	"R_GS",
	"R_TRAPNO",
];

/** uregs[] indices beyond this are out of bounds on x86_64 (R_TRAPNO is the last). */
export const UREGS_COUNT = REGS.length;

function table(): Map<string, bigint> {
	const m = new Map<string, bigint>();
	ERRNO.forEach((n, i) => {
		if (n) m.set(n, BigInt(i));
	});
	m.set("EWOULDBLOCK", 11n);
	m.set("EDEADLOCK", 35n);
	SIGNALS.forEach((n, i) => {
		if (n) m.set(n, BigInt(i));
	});
	m.set("SIGIOT", 6n);
	m.set("SIGPOLL", 29n);
	REGS.forEach((n, i) => {
		m.set(n, BigInt(i));
	});
	const alias = (a: string, b: string) => m.set(a, m.get(b)!);
	alias("R_EBX", "R_RBX");
	alias("R_ECX", "R_RCX");
	alias("R_EDX", "R_RDX");
	alias("R_ESI", "R_RSI");
	alias("R_EDI", "R_RDI");
	alias("R_EBP", "R_RBP");
	alias("R_EAX", "R_RAX");
	alias("R_EIP", "R_RIP");
	alias("R_EFL", "R_RFL");
	alias("R_ESP", "R_RSP");
	alias("R_PC", "R_RIP");
	alias("R_FP", "R_RBP");
	alias("R_SP", "R_RSP");
	alias("R_PS", "R_RFL");
	alias("R_R0", "R_RAX");
	alias("R_R1", "R_RBX");
	// DTrace's fault codes (the ERROR probe's arg4).
	const faults = ["UNKNOWN", "BADADDR", "BADALIGN", "ILLOP", "DIVZERO", "NOSCRATCH", "KPRIV", "UPRIV", "TUPOFLOW"];
	faults.forEach((f, i) => {
		m.set(`DTRACEFLT_${f}`, BigInt(i));
	});
	m.set("DTRACEFLT_BADSTACK", 9n);
	m.set("DTRACEFLT_LIBRARY", 1000n);
	m.set("ARPHRD_ETHER", 1n);
	m.set("ARPHRD_INFINIBAND", 32n);
	m.set("AF_INET", 2n);
	m.set("AF_INET6", 10n);
	return m;
}

/** `inline int NAME = VALUE;` constants of DTrace's D libraries (all of type int). */
export const LIBRARY_CONSTANTS: ReadonlyMap<string, bigint> = table();

/** `NULL` is `inline long NULL = 0` in every D program. */
export const NULL_NAME = "NULL";
