// Typed errors raised by the kernel plane. Every one carries its cause and a
// message that reads as one sentence a user can act on.

const ERRNO_NAMES: Record<number, string> = {
	1: "EPERM",
	2: "ENOENT",
	3: "ESRCH",
	4: "EINTR",
	5: "EIO",
	7: "E2BIG",
	9: "EBADF",
	11: "EAGAIN",
	12: "ENOMEM",
	13: "EACCES",
	14: "EFAULT",
	16: "EBUSY",
	17: "EEXIST",
	19: "ENODEV",
	22: "EINVAL",
	24: "EMFILE",
	28: "ENOSPC",
	38: "ENOSYS",
	95: "EOPNOTSUPP",
	524: "ENOTSUPP",
};

export function errnoName(errno: number): string {
	return ERRNO_NAMES[errno] ?? `errno ${errno}`;
}

const ERRNO_TEXT: Record<number, string> = {
	1: "operation not permitted (run dtop as root)",
	2: "no such file or entry",
	3: "no such process",
	7: "argument list too long",
	9: "bad file descriptor",
	12: "out of memory",
	13: "permission denied (run dtop as root)",
	14: "bad address",
	16: "resource busy",
	17: "already exists",
	19: "no such device",
	22: "invalid argument",
	24: "too many open files (raise `ulimit -n`)",
	28: "no space left",
	38: "not implemented by this kernel",
	95: "operation not supported",
	524: "operation not supported by this kernel",
};

const isRoot = () => process.geteuid?.() === 0;

/** What errno means to the user; root is never told to run dtop as root (the kernel refuses even root). */
function errnoText(errno: number): string {
	if ((errno === 1 || errno === 13) && isRoot())
		return `${errno === 1 ? "operation not permitted" : "permission denied"} (the kernel refuses it even to root)`;
	return ERRNO_TEXT[errno] ?? "failed";
}

/** A system call failed; `call` names it (e.g. `bpf(BPF_MAP_CREATE)`). */
export class SyscallError extends Error {
	readonly call: string;
	readonly errno: number;
	constructor(call: string, errno: number, context?: string) {
		const what = errnoText(errno);
		super(`${call} failed with ${errnoName(errno)}: ${what}${context ? ` (${context})` : ""}.`);
		this.name = "SyscallError";
		this.call = call;
		this.errno = errno;
	}
	get code(): string {
		return errnoName(this.errno);
	}
}

/** The BPF verifier rejected a program; `log` is its full explanation. */
export class VerifierError extends Error {
	readonly log: string;
	readonly errno: number;
	readonly program: string;
	constructor(program: string, errno: number, log: string) {
		super(
			`the kernel's BPF verifier rejected program '${program}' (${errnoName(errno)}): ${VerifierError.reason(log)}`,
		);
		this.name = "VerifierError";
		this.program = program;
		this.errno = errno;
		this.log = log;
	}
	/** The verifier's last meaningful line, which is usually the reason. */
	static reason(log: string): string {
		const lines = log
			.split("\n")
			.map((l) => l.trim())
			.filter((l) => l.length > 0 && !l.startsWith("processed ") && !l.startsWith("verification time"));
		return lines.at(-1) ?? "no log was produced";
	}
}

/** A kernel feature dtop needs is missing; `reason` says why in plain words. */
export class NotSupportedError extends Error {
	readonly feature: string;
	readonly reason: string;
	constructor(feature: string, reason: string) {
		super(`${feature} is not available on this kernel: ${reason}`);
		this.name = "NotSupportedError";
		this.feature = feature;
		this.reason = reason;
	}
}
