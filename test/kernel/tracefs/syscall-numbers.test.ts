// Checks the generated system call tables against this kernel: a child makes
// system calls (by number, with harmless invalid arguments, plus whatever
// Python does on its own) while a private tracefs instance records both
// `raw_syscalls:sys_enter` (which carries the number) and every
// `syscalls:sys_enter_NAME` (which carries the name); each adjacent pair from
// the same thread tells name → number as the kernel sees it.

import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdirSync, readFileSync, rmdirSync, writeFileSync } from "node:fs";
import { test } from "node:test";
import { syscallNumber, syscallTable, tracefs } from "../../../kernel/tracefs/index.ts";

// Called with every argument -1 or 0: all fail with EBADF/EFAULT/EINVAL or are
// queries. The renamed entry points (newstat, sendfile64, umount, newuname) and
// the numbers above Debian 12's headers (cachestat 451 .. file_setattr 469) are
// the ones worth checking.
const SAFE = [
	"read",
	"write",
	"close",
	"newstat",
	"newfstat",
	"newlstat",
	"poll",
	"lseek",
	"mprotect",
	"ioctl",
	"pread64",
	"pwrite64",
	"readv",
	"writev",
	"access",
	"sched_yield",
	"msync",
	"mincore",
	"madvise",
	"dup",
	"getpid",
	"sendfile64",
	"newuname",
	"umount",
	"fcntl",
	"flock",
	"fsync",
	"fdatasync",
	"truncate",
	"ftruncate",
	"getdents64",
	"getcwd",
	"chdir",
	"fchdir",
	"rename",
	"mkdir",
	"rmdir",
	"link",
	"unlink",
	"symlink",
	"readlink",
	"chmod",
	"fchmod",
	"chown",
	"fchown",
	"getuid",
	"getgid",
	"geteuid",
	"getegid",
	"getppid",
	"getpgrp",
	"getpriority",
	"statfs",
	"fstatfs",
	"newfstatat",
	"faccessat",
	"faccessat2",
	"openat",
	"epoll_create1",
	"eventfd2",
	"pipe2",
	"inotify_init1",
	"getrandom",
	"memfd_create",
	"statx",
	"close_range",
	"openat2",
	"pidfd_open",
	"process_madvise",
	"epoll_pwait2",
	"mount_setattr",
	"landlock_create_ruleset",
	"memfd_secret",
	"process_mrelease",
	"futex_waitv",
	"cachestat",
	"fchmodat2",
	"futex_wake",
	"futex_wait",
	"futex_requeue",
	"statmount",
	"listmount",
	"lsm_get_self_attr",
	"lsm_list_modules",
	"mseal",
	"setxattrat",
	"getxattrat",
	"listxattrat",
	"removexattrat",
	"open_tree_attr",
	"file_getattr",
	"file_setattr",
];

const PY = `
import ctypes, os, sys
sys.stdin.readline()
libc = ctypes.CDLL(None, use_errno=True)
libc.syscall.restype = ctypes.c_long
for nr in [int(x) for x in sys.argv[1].split(",")]:
    libc.syscall(ctypes.c_long(nr), ctypes.c_long(-1), ctypes.c_long(0), ctypes.c_long(0), ctypes.c_long(0), ctypes.c_long(0), ctypes.c_long(0))
os.listdir("/proc/self")
os.stat("/")
open("/proc/self/stat").read()
print("done", flush=True)
`;

test("every syscalls:sys_enter_* tracepoint of this kernel has a number in the table", () => {
	if (process.arch !== "x64" && process.arch !== "arm64") return;
	const missing = tracefs()
		.eventsOf("syscalls")
		.filter((e) => e.startsWith("sys_enter_"))
		.map((e) => e.slice(10))
		.filter((n) => syscallNumber(n) === undefined);
	assert.deepEqual(missing, []);
});

test("the table agrees with the installed uapi header for every shared name", () => {
	if (process.arch !== "x64") return;
	const header = readFileSync("/usr/include/x86_64-linux-gnu/asm/unistd_64.h", "utf8");
	const renamed: Record<string, string> = {
		stat: "newstat",
		fstat: "newfstat",
		lstat: "newlstat",
		sendfile: "sendfile64",
		uname: "newuname",
		umount2: "umount",
	};
	let checked = 0;
	for (const m of header.matchAll(/#define __NR_(\w+) (\d+)/g)) {
		const name = renamed[m[1]] ?? m[1];
		const nr = syscallNumber(name, "x64");
		if (nr === undefined) continue;
		assert.equal(nr, Number(m[2]), name);
		checked++;
	}
	assert.ok(checked > 330, `only ${checked} names checked`);
	// aarch64 spot checks (asm-generic numbering).
	const a = syscallTable("arm64");
	assert.equal(a.get("read"), 63);
	assert.equal(a.get("openat"), 56);
	assert.equal(a.get("newfstat"), 80);
	assert.equal(a.get("clone3"), 435);
	assert.equal(a.get("file_setattr"), 469);
});

test("the kernel's own records agree with the x86_64 table", { timeout: 30_000 }, async () => {
	if (process.arch !== "x64") return;
	const t = tracefs();
	const names = SAFE.filter((n) => t.has("syscalls", `sys_enter_${n}`));
	const nrs = names.map((n) => syscallNumber(n));
	assert.ok(!nrs.includes(undefined));
	const inst = `${t.root}/instances/dtop-test-${process.pid}`;
	mkdirSync(inst);
	const child = spawn("/usr/bin/python3.11", ["-c", PY, nrs.join(",")], { stdio: ["pipe", "pipe", "inherit"] });
	try {
		writeFileSync(`${inst}/set_event_pid`, String(child.pid));
		writeFileSync(`${inst}/events/raw_syscalls/sys_enter/enable`, "1");
		// The group switch enables all ~720 events in one write (exit events are ignored below).
		writeFileSync(`${inst}/events/syscalls/enable`, "1");
		const exited = new Promise<number | null>((r) => child.on("exit", (code) => r(code)));
		let out = "";
		child.stdout!.on("data", (d) => (out += d));
		child.stdin!.end("go\n");
		assert.equal(await exited, 0);
		assert.match(out, /done/);
		writeFileSync(`${inst}/events/syscalls/enable`, "0");
		writeFileSync(`${inst}/events/raw_syscalls/sys_enter/enable`, "0");
		const trace = readFileSync(`${inst}/trace`, "utf8");
		// "python3.11-123 [001] ..... 1.2: sys_enter: NR 0 (...)" / "...: sys_read(fd: ...)"
		const seen = new Map<string, number>();
		const pending = new Map<string, { nr?: number; name?: string }>();
		for (const line of trace.split("\n")) {
			const m = /-(\d+)\s+\[\d+\].*?: (?:sys_enter: NR (\d+) |sys_(\w+)\()/.exec(line);
			if (!m) continue;
			const tid = m[1];
			const p = pending.get(tid) ?? {};
			if (m[2] !== undefined) p.nr = Number(m[2]);
			else p.name = m[3];
			if (p.nr !== undefined && p.name !== undefined) {
				const before = seen.get(p.name);
				assert.ok(before === undefined || before === p.nr, `${p.name} seen as ${before} and ${p.nr}`);
				seen.set(p.name, p.nr);
				pending.delete(tid);
			} else pending.set(tid, p);
		}
		for (const n of names) assert.ok(seen.has(n), `the kernel never reported ${n}`);
		for (const [name, nr] of seen) assert.equal(syscallNumber(name), nr, `kernel: ${name} is ${nr}`);
		assert.ok(seen.size >= names.length);
	} finally {
		child.kill("SIGKILL");
		try {
			writeFileSync(`${inst}/events/syscalls/enable`, "0");
			writeFileSync(`${inst}/events/raw_syscalls/sys_enter/enable`, "0");
		} catch {}
		rmdirSync(inst);
	}
});
