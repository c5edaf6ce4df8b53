import assert from "node:assert/strict";
import { test } from "node:test";
import { parseFormat } from "../../../kernel/tracefs/index.ts";

const SAMPLE = `name: sys_enter
ID: 443
format:
	field:unsigned short common_type;	offset:0;	size:2;	signed:0;
	field:unsigned char common_flags;	offset:2;	size:1;	signed:0;
	field:unsigned char common_preempt_count;	offset:3;	size:1;	signed:0;
	field:int common_pid;	offset:4;	size:4;	signed:1;

	field:long id;	offset:8;	size:8;	signed:1;
	field:unsigned long args[6];	offset:16;	size:48;	signed:0;
	field:char prev_comm[16];	offset:64;	size:16;	signed:0;
	field:__data_loc char[] name;	offset:80;	size:4;	signed:0;
	field:const char * filename;	offset:88;	size:8;	signed:0;

print fmt: "NR %ld (%lx)", REC->id, REC->args[0]
`;

test("parses name, id, fields and print fmt", () => {
	const f = parseFormat(SAMPLE);
	assert.equal(f.name, "sys_enter");
	assert.equal(f.id, 443);
	assert.equal(f.printFmt, `"NR %ld (%lx)", REC->id, REC->args[0]`);
	assert.deepEqual(
		f.fields.map((x) => [x.name, x.type, x.offset, x.size, x.signed, x.common, x.arrayLength, x.dataLoc]),
		[
			["common_type", "unsigned short", 0, 2, false, true, undefined, false],
			["common_flags", "unsigned char", 2, 1, false, true, undefined, false],
			["common_preempt_count", "unsigned char", 3, 1, false, true, undefined, false],
			["common_pid", "int", 4, 4, true, true, undefined, false],
			["id", "long", 8, 8, true, false, undefined, false],
			["args", "unsigned long[6]", 16, 48, false, false, 6, false],
			["prev_comm", "char[16]", 64, 16, false, false, 16, false],
			["name", "__data_loc char[]", 80, 4, false, false, undefined, true],
			["filename", "const char *", 88, 8, false, false, undefined, false],
		],
	);
});

test("tolerates garbage and missing signed:", () => {
	const f = parseFormat("junk\nfield:int x;\toffset:8;\tsize:4;\nID: nope\n");
	assert.equal(f.fields.length, 1);
	assert.equal(f.fields[0].name, "x");
	assert.equal(f.fields[0].signed, false);
	assert.ok(Number.isNaN(f.id));
});
