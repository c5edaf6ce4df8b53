// C types in D (source/d/ctypes): enum constants, typedefs, sizeof/offsetof of
// declared types with C's layout on LP64, struct and union variables (global and
// this->) in the enabling's BPF maps with member access, copies, unions sharing
// bytes, bit-fields, structs as associative array keys; and the kernel's types from
// BTF behind curthread, read with bpf_probe_read_kernel (a bad address is DTrace's
// runtime error, not a zero). Every program runs in real BPF on this kernel.
import assert from "node:assert/strict";
import { test } from "node:test";
import { runDtop } from "../helpers/cli.ts";

async function run(program: string): Promise<string> {
	const r = await runDtop(["-q", "-n", program]);
	assert.equal(r.code, 0, r.stderr);
	// dtop ends a quiet run's output with a blank line, as dtrace does.
	return r.stdout.replace(/\n$/, "");
}

test("enum constants: implicit and explicit values, negative ones, constants in expressions and predicates", async () => {
	const out = await run(`
		enum fruit { APPLE, PEAR = 3 * 3, PLUM, FIG = PEAR + PLUM, KIWI = -7, LIME };
		enum { NORTH = 100, SOUTH };
		BEGIN /PLUM == 10 && LIME == -6/ {
			printf("%d %d %d %d %d %d\\n", APPLE, PEAR, PLUM, FIG, KIWI, LIME);
			printf("%d %d %d\\n", SOUTH - NORTH, sizeof (enum fruit), FIG * 2);
			exit(0);
		}`);
	assert.equal(out, "0 9 10 19 -7 -6\n1 4 38\n");
});

test("typedefs of basic and declared types: casts truncate and sign-extend as the base type, chains resolve", async () => {
	const out = await run(`
		typedef unsigned char byte_t;
		typedef byte_t octet_t;
		typedef short half_t;
		typedef struct pair { int a; long b; } pair_t;
		octet_t o;
		BEGIN {
			o = 300;
			printf("%d %d %d\\n", o, (octet_t)-1, (half_t)0x18001);
			printf("%d %d %d %d\\n", sizeof (octet_t), sizeof (half_t), sizeof (pair_t), sizeof (struct pair));
			exit(0);
		}`);
	assert.equal(out, "44 255 -32767\n1 2 16 16\n");
});

test("sizeof and offsetof follow C's layout: padding, alignment, nested and anonymous members, unions", async () => {
	const out = await run(`
		struct inner { char c; short s; };
		struct outer {
			char tag;
			struct inner in;
			long l;
			union { int i; char bytes[6]; } u;
			int tail;
		};
		union both { char c; long l; int arr[3]; };
		BEGIN {
			printf("%d %d %d\\n", sizeof (struct inner), offsetof(struct inner, s), sizeof (union both));
			printf("%d %d %d %d %d\\n", offsetof(struct outer, in), offsetof(struct outer, l),
			    offsetof(struct outer, u), offsetof(struct outer, tail), sizeof (struct outer));
			exit(0);
		}`);
	assert.equal(out, "4 2 16\n2 8 16 24 32\n");
});

test("struct variables: members of every width keep their types, nested structs, this-> structs, copies", async () => {
	const out = await run(`
		struct point { short x; short y; };
		struct shape { char kind; struct point at; unsigned int area; long id; };
		struct shape s;
		this struct point p;
		BEGIN {
			s.kind = 'q';
			s.at.x = -5;
			s.at.y = 70000;
			s.area = -1;
			s.id = 1234567890123;
			s.area++;
			s.area += 10;
			this->p.x = 7;
			this->p.y = s.at.x * 2;
			printf("%c %d %d %u %d\\n", s.kind, s.at.x, s.at.y, s.area, s.id);
			printf("%d %d %d\\n", this->p.x, this->p.y, sizeof (s));
			s.at = this->p;
			copy = s;
			printf("%d %d %c %d\\n", copy.at.x, copy.at.y, copy.kind, copy.id == s.id);
			exit(0);
		}`);
	assert.equal(out, "q -5 4464 10 1234567890123\n7 -10 24\n7 -10 q 1\n");
});

test("union members share their bytes (little-endian), and structs compare as associative array keys", async () => {
	const out = await run(`
		union word { unsigned int u; unsigned char b[4]; struct { unsigned short lo; unsigned short hi; } h; char c; };
		union word w;
		struct key { int a; char b; };
		struct key k1;
		struct key k2;
		BEGIN {
			w.u = 0x41424344;
			printf("%c %x %x\\n", w.c, w.h.lo, w.h.hi);
			k1.a = 3; k1.b = 'z';
			k2.a = 3; k2.b = 'z';
			seen[k1] = 10;
			seen[k2] += 5;
			k2.b = 'y';
			printf("%d %d\\n", seen[k1], seen[k2]);
			exit(0);
		}`);
	assert.equal(out, "D 4344 4142\n15 0\n");
});

test("bit-fields: signed and unsigned widths, neighbours kept, a field across the 32-bit boundary", async () => {
	const out = await run(`
		struct flags { unsigned int a : 3; int b : 5; unsigned long c : 40; int d : 12; };
		struct flags f;
		BEGIN {
			f.a = 13;
			f.b = 17;
			f.c = 0xabcdef0123;
			f.d = -3;
			printf("%d %d %x %d %d\\n", f.a, f.b, f.c, f.d, sizeof (struct flags));
			f.b = 5;
			printf("%d %d %x %d\\n", f.a, f.b, f.c, f.d);
			exit(0);
		}`);
	assert.equal(out, "5 -15 abcdef0123 -3 8\n5 5 abcdef0123 -3\n");
});

test("curthread with the kernel's types: pid, tgid, the parent's pid, stringof(comm)", async () => {
	const out = await run(`
		BEGIN {
			printf("%d %d %d %s %s\\n", curthread->pid == pid, curthread->tgid == pid,
			    ((struct task_struct *)curthread)->real_parent->tgid == ppid,
			    stringof(curthread->comm), curthread->comm);
			exit(0);
		}`);
	// BEGIN runs in dtop itself (its main thread): comm is whatever the kernel shows for it.
	assert.match(out, /^1 1 1 (\S+) \1\n$/);
});

test("a kernel pointer that cannot be read is a runtime error, not a zero", async () => {
	const r = await runDtop([
		"-q",
		"-n",
		`BEGIN { printf("%d\\n", ((struct task_struct *)8)->pid); printf("not reached\\n"); }
		BEGIN { exit(0); }`,
	]);
	assert.equal(r.code, 0, r.stderr);
	assert.doesNotMatch(r.stdout, /not reached|^0$/m);
	assert.match(r.stderr, /invalid address \(0x[0-9a-f]+\) in action #1/);
});

test("hostile declarations get one clear sentence with DTrace's tag", async () => {
	const cases: [string, RegExp][] = [
		["struct s { int a; struct s b; }; BEGIN { exit(0); }", /incomplete struct\/union\/enum struct s: b/],
		["enum e { A, B, A }; BEGIN { exit(0); }", /failed to define enumerator 'A'/],
		["typedef int t; typedef long t; BEGIN { exit(0); }", /typedef redeclared: t/],
		["struct s { int a : 0; }; BEGIN { exit(0); }", /positive integral constant expression expected as bit-field size/],
		["struct s { char a : 9; }; BEGIN { exit(0); }", /bit-field too big for type: a/],
		["struct s { int a : 3; }; BEGIN { trace(offsetof(struct s, a)); }", /cannot take offset of a bit-field: a/],
		["struct s { int a; }; struct s v; BEGIN { trace(v.b); }", /has no member b/],
		["BEGIN { trace(curthread->no_such_member); }", /struct task_struct has no member no_such_member/],
	];
	for (const [program, message] of cases) {
		const r = await runDtop(["-q", "-n", program]);
		assert.notEqual(r.code, 0, program);
		assert.match(r.stderr, message, program);
		assert.doesNotMatch(r.stderr, /\n\s+at /, program);
	}
});

test("variables keep a kernel pointer's type: this->, self-> across clauses, globals, declared and cast pointers", async () => {
	// prlimit sets its own limits, then execs cat in the same process: cat's openat calls see them.
	const r = await runDtop([
		"-q",
		"-c",
		"prlimit --nofile=123:456 cat /dev/null",
		"-n",
		`struct task_struct *parent;
		syscall::openat:entry /pid == $target && execname == "cat" && !done/ {
			self->t = curthread;
			parent = curthread->real_parent;
			this->sig = curthread->signal;
			i = 2;
			printf("%d %d %s %s %c%c\\n", self->t->pid == tid, parent->tgid == ppid, stringof(self->t->comm),
			    this->sig->rlim[7].rlim_cur == 123 ? "soft" : "?", self->t->comm[0], self->t->comm[i]);
			addr = (uint64_t)curthread;
		}
		syscall::openat:return /self->t && !done/ {
			this->again = (struct task_struct *)addr;
			printf("%d %d %d %s\\n", this->again->pid == self->t->pid, curthread->signal->rlim[7].rlim_max,
			    self->t->real_parent->pid == parent->pid, self->t->comm);
			done = 1;
		}`,
	]);
	assert.equal(r.code, 0, r.stderr);
	assert.equal(r.stdout.replace(/\n$/, ""), "1 1 cat soft ct\n1 456 1 cat\n");
});

test("kernel pointer variables and arrays: a constant index past the array and another pointer type are refused", async () => {
	const cases: [string, RegExp][] = [
		["BEGIN { trace(curthread->comm[16]); }", /index outside array bounds: 16, max is 16/],
		[
			"BEGIN { this->p = curthread->files; this->p = curthread->mm; }",
			/operands have incompatible types: "struct files_struct \*" = "struct mm_struct \*"/,
		],
		["BEGIN { this->t = curthread; this->t->pid = 1; }", /cannot write kernel memory/],
	];
	for (const [program, message] of cases) {
		const r = await runDtop(["-q", "-n", program]);
		assert.notEqual(r.code, 0, program);
		assert.match(r.stderr, message, program);
		assert.doesNotMatch(r.stderr, /\n\s+at /, program);
	}
});

test("user memory through the program's struct: copyin() cast to a declared struct pointer, members, arrays, strings", async () => {
	// Real programs' arguments: sleep's relative timespec, python's write(2) buffer and sockaddr_un.
	const ts = await runDtop([
		"-q",
		"-c",
		"sleep 0.25",
		"-n",
		`struct ts { long sec; long nsec; };
		syscall::clock_nanosleep:entry /pid == $target/ {
			this->t = (struct ts *)copyin(arg2, sizeof (struct ts));
			printf("ts %d %d %d\\n", ((struct ts *)copyin(arg2, 16))->sec, this->t->nsec, *(long *)copyin(arg2 + 8, 8));
		}`,
	]);
	assert.equal(ts.code, 0, ts.stderr);
	assert.equal(ts.stdout.replace(/\n$/, ""), "ts 0 250000000 250000000\n");
	const program = `
		struct sun { unsigned short family; char path[108]; };
		syscall::write:entry /pid == $target && arg2 == 4/ {
			printf("write %x %x\\n", *(int *)copyin(arg1, 4), ((unsigned char *)copyin(arg1, 4))[3]);
		}
		syscall::connect:entry /pid == $target/ {
			this->a = (struct sun *)copyin(arg1, sizeof (struct sun));
			self->a = (struct sun *)copyin(arg1, sizeof (struct sun));
			i = 2;
			printf("connect %d %s %s %c%c\\n", self->a->family, this->a->path,
			    stringof(((struct sun *)copyin(arg1, arg2))->path), self->a->path[1], self->a->path[i]);
		}`;
	const py =
		"import os, socket; os.write(2, b'ABCD'); s = socket.socket(socket.AF_UNIX)\ntry: s.connect('/nonexistent/sock')\nexcept OSError: pass";
	const r = await runDtop(["-q", "-c", `/usr/bin/python3.11 -c "${py}"`, "-n", program]);
	assert.equal(r.code, 0, r.stderr);
	assert.equal(r.stdout.replace(/\n$/, ""), "write 44434241 44\nconnect 1 /nonexistent/sock /nonexistent/sock no\n");
});

test("user memory: a member past copyin()'s bytes is refused, a bad user address is a runtime error", async () => {
	const past = await runDtop([
		"-q",
		"-n",
		"struct ts { long sec; long nsec; }; syscall::clock_nanosleep:entry { trace(((struct ts *)copyin(arg2, 8))->nsec); }",
	]);
	assert.notEqual(past.code, 0);
	assert.match(past.stderr, /->nsec reads bytes 8 to 15, past the 8 bytes copyin\(\) copies/);
	const bad = await runDtop([
		"-q",
		"-c",
		"sleep 0.1",
		"-n",
		`struct ts { long sec; long nsec; };
		syscall::clock_nanosleep:entry /pid == $target/ { printf("%d\\n", ((struct ts *)copyin(arg2 * 0 + 8, 16))->nsec); printf("not reached\\n"); }`,
	]);
	assert.equal(bad.code, 0, bad.stderr);
	assert.doesNotMatch(bad.stdout, /not reached|^0$/m);
	assert.match(bad.stderr, /invalid address \(0x10\) in action #1/);
});

test("kernel structs by value: *curthread and a member struct copied into variables, their members and array elements", async () => {
	const out = await run(`
		struct p { int a[4]; };
		struct p v;
		BEGIN {
			/* A copy is a read per 8 bytes: one task_struct's is the most a program of BEGIN's clauses takes. */
			t = *curthread;
			v.a[2] = 5;
		}
		BEGIN {
			this->lim = curthread->signal->rlim[7];
			v.a[1] = v.a[2] - 2;
			printf("%d %d %d %d\\n", t.pid == pid, t.tgid == pid, t.real_parent == (uint64_t)curthread->real_parent, sizeof (t) == sizeof (struct task_struct));
			printf("%d %d %d\\n", this->lim.rlim_cur == curthread->signal->rlim[7].rlim_cur, this->lim.rlim_max == curthread->signal->rlim[7].rlim_max, this->lim.rlim_cur > 0);
			printf("%d %d %d\\n", v.a[0], v.a[1], v.a[2]);
			exit(0);
		}`);
	assert.equal(out, "1 1 1 1\n1 1 1\n0 3 5\n");
});
