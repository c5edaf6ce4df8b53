// binutils' readelf as an independent oracle for the ELF reader's tests.
import { execFileSync } from "node:child_process";

function readelf(args: string[]): string {
	return execFileSync("readelf", ["-W", ...args], { encoding: "utf8", maxBuffer: 256 << 20 });
}

export function readelfBuildId(path: string): string | undefined {
	return /Build ID: ([0-9a-f]+)/.exec(readelf(["-n", path]))?.[1];
}

export interface ReadelfProbe {
	provider: string;
	name: string;
	location: number;
	base: number;
	semaphore: number;
	args: string;
}

export function readelfProbes(path: string): ReadelfProbe[] {
	const out = readelf(["-n", path]);
	const re =
		/Provider: (\S+)\s+Name: (\S+)\s+Location: (0x[0-9a-f]+), Base: (0x[0-9a-f]+), Semaphore: (0x[0-9a-f]+)\s+Arguments: ?([^\n]*)/g;
	return [...out.matchAll(re)].map((m) => ({
		provider: m[1],
		name: m[2],
		location: Number(m[3]),
		base: Number(m[4]),
		semaphore: Number(m[5]),
		args: m[6].trim(),
	}));
}

export interface ReadelfLoad {
	offset: number;
	vaddr: number;
	filesz: number;
	memsz: number;
	flags: string;
}

export function readelfLoads(path: string): ReadelfLoad[] {
	const re = /^\s*LOAD\s+(0x[0-9a-f]+)\s+(0x[0-9a-f]+)\s+0x[0-9a-f]+\s+(0x[0-9a-f]+)\s+(0x[0-9a-f]+)\s+(.{3})/gm;
	return [...readelf(["-l", path]).matchAll(re)].map((m) => ({
		offset: Number(m[1]),
		vaddr: Number(m[2]),
		filesz: Number(m[3]),
		memsz: Number(m[4]),
		flags: m[5].trim(),
	}));
}

/** Virtual address -> file offset, computed from readelf's program headers. */
export function readelfAddressToOffset(loads: ReadelfLoad[], vaddr: number): number | undefined {
	const seg = loads.find((l) => vaddr >= l.vaddr && vaddr < l.vaddr + l.filesz);
	return seg ? vaddr - seg.vaddr + seg.offset : undefined;
}

export function readelfSectionNames(path: string): string[] {
	const names: string[] = [];
	for (const m of readelf(["-S", path]).matchAll(/^\s*\[\s*(\d+)\]\s+(.*)$/gm)) {
		const index = Number(m[1]);
		// "[ 0]                   NULL ..." has no name.
		names[index] = index === 0 ? "" : m[2].split(/\s+/)[0];
	}
	return names;
}

export interface ReadelfSymbol {
	name: string;
	value: number;
	size: number;
}

/** Defined FUNC/IFUNC symbols of .symtab and .dynsym, names without @VERSION. */
export function readelfFunctions(path: string): ReadelfSymbol[] {
	const out: ReadelfSymbol[] = [];
	const re = /^\s*\d+:\s+([0-9a-f]+)\s+(\S+)\s+(FUNC|IFUNC)\s+\S+\s+\S+\s+(\S+)\s+(\S+)/gm;
	for (const m of readelf(["-s", path]).matchAll(re)) {
		if (m[4] === "UND") continue;
		const value = Number.parseInt(m[1], 16);
		if (value === 0) continue;
		out.push({ name: m[5].replace(/@.*$/, ""), value, size: Number(m[2]) });
	}
	return out;
}
