// Errors of the ELF reader and of /proc/PID/maps reading. Both say which file
// or process and what is wrong, in one sentence.

/**
 * An ELF file is unreadable, truncated or corrupt. `file` names it; `problem`
 * says what is wrong (the message is `file: problem`).
 */
export class ElfError extends Error {
	readonly file: string;
	readonly problem: string;
	constructor(file: string, problem: string) {
		super(`${file}: ${problem}`);
		this.name = "ElfError";
		this.file = file;
		this.problem = problem;
	}
}

/** The process is gone (it exited, possibly while we were reading about it). */
export class ProcessGoneError extends Error {
	readonly pid: number;
	constructor(pid: number, detail = "it has exited") {
		super(`process ${pid} is not running (${detail}); pick a live process id.`);
		this.name = "ProcessGoneError";
		this.pid = pid;
	}
}

export function hex(n: number | bigint): string {
	return n < 0 ? `-0x${(-n).toString(16)}` : `0x${n.toString(16)}`;
}
