import assert from "node:assert/strict";
import { test } from "node:test";
import { type ElfSymbol, SymbolTable } from "../../../kernel/elf/index.ts";

const sym = (name: string, address: number, size: number, binding: ElfSymbol["binding"] = "global"): ElfSymbol => ({
	name,
	address,
	size,
	binding,
});

test("sorted by address, repeats of (name, address) dropped, the sized copy kept", () => {
	const t = new SymbolTable([
		sym("c", 0x300, 0x10),
		sym("a", 0x100, 0x10),
		sym("b", 0x200, 0),
		sym("a", 0x100, 0x10), // .dynsym copy of a .symtab entry
		sym("b", 0x200, 0x20, "local"), // same name and address, but with a size: preferred
		sym("a", 0x400, 0x10, "local"), // same name elsewhere (two static functions): kept
	]);
	assert.deepEqual(
		t.symbols.map((s) => `${s.name}@${s.address.toString(16)}/${s.size}`),
		["a@100/16", "b@200/32", "c@300/16", "a@400/16"],
	);
	assert.equal(t.size, 4);
	assert.equal(t.byName("a")?.address, 0x100);
});

test("aliases: the sized, global, shortest name is the one a lookup returns", () => {
	const t = new SymbolTable([
		sym("__libc_malloc", 0x1000, 0x80, "local"),
		sym("malloc", 0x1000, 0x80, "global"),
		sym("__malloc", 0x1000, 0x80, "weak"),
		sym("malloc_alias0", 0x1000, 0, "global"),
	]);
	assert.equal(t.symbolize(0x1010)?.name, "malloc");
	assert.equal(t.symbols.length, 4);
	assert.equal(t.symbols[0].name, "malloc");
});

test("symbolize: inside, at the edges, between, before the first, size 0 up to the next", () => {
	const t = new SymbolTable([sym("f", 0x100, 0x10), sym("asm_stub", 0x200, 0), sym("g", 0x300, 0x8)]);
	assert.equal(t.symbolize(0xff), undefined);
	assert.deepEqual(t.symbolize(0x100), { name: "f", offset: 0, symbol: t.symbols[0] });
	assert.equal(t.symbolize(0x10f)?.offset, 0xf);
	assert.equal(t.symbolize(0x110), undefined); // past f's end, before the stub
	assert.deepEqual(t.symbolize(0x2ff), { name: "asm_stub", offset: 0xff, symbol: t.symbols[1] });
	assert.equal(t.symbolize(0x307)?.name, "g");
	assert.equal(t.symbolize(0x308), undefined);
	assert.equal(new SymbolTable([]).symbolize(0x100), undefined);
});

test("150,000 symbols (a 100 MB binary's worth) are ordered correctly", () => {
	const input: ElfSymbol[] = [];
	let seed = 7;
	const rand = () => {
		seed = (seed * 1103515245 + 12345) >>> 0;
		return seed;
	};
	for (let i = 0; i < 75_000; i++) {
		const address = 0x400000 + (rand() % 0x4000000);
		input.push(sym(`f${i}`, address, 16), sym(`f${i}`, address, 16));
	}
	const t0 = performance.now();
	const t = new SymbolTable(input);
	const ms = performance.now() - t0;
	for (let i = 1; i < t.symbols.length; i++) assert.ok(t.symbols[i - 1].address <= t.symbols[i].address);
	assert.equal(t.size, 75_000);
	assert.ok(ms < 2000, `${ms.toFixed(0)} ms`);
});
