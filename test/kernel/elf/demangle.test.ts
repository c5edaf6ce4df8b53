// demangle() against binutils' c++filt on real names: every mangled function of
// Debian's libstdc++ (.dynsym) and of node (.symtab), and Rust names rustc made
// (legacy and v0). The demangler prints a few things differently from c++filt
// on purpose or by convention (below, `style`); those are not counted as
// errors. Measured here (gecko-profiler-demangle 0.4.0, Node 20):
//   functions below: libstdc++ 4,424 names: 83.4 % identical, 97.2 % with the style
//     rules; node (every 3rd) 22,001: 90.3 % identical, 96.7 % with the style rules;
//     the rest are the package's own mistakes (an empty pack printed `<bool, >`, a
//     reference put on the wrong name, a repeated argument dropped).
//   When the package was chosen, on every `_Z` symbol (objects too): libstdc++
//     5,866: 83.8 % identical; node 78,865: 86.9 % identical. `demangle` 1.0.1
//     (2015's libc++abi through Emscripten): 88.8 % / 90.4 % identical, but no Rust
//     at all and 143 / 452 names left mangled (transaction clones, guard variables,
//     reference temporaries). `demangler-js` 0.1.7 ran out of a 4 GB heap on
//     libstdc++'s names. Speed: 5–15 µs a name (the symbolizer caches names).
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { test } from "node:test";
import { demangle, demanglerFor, isMangled } from "../../../kernel/elf/demangle.ts";
import { ElfFile } from "../../../kernel/elf/index.ts";

const cxxfilt = (names: readonly string[]): string[] =>
	execFileSync("c++filt", [], { input: `${names.join("\n")}\n`, encoding: "utf8", maxBuffer: 1 << 28 })
		.split("\n")
		.slice(0, names.length);

const ABBREVIATIONS: [RegExp, string][] = [
	[/std::basic_string<char, std::char_traits<char>, std::allocator<char> >/g, "std::string"],
	[/std::basic_istream<char, std::char_traits<char> >/g, "std::istream"],
	[/std::basic_ostream<char, std::char_traits<char> >/g, "std::ostream"],
	[/std::basic_iostream<char, std::char_traits<char> >/g, "std::iostream"],
];

/** Differences of presentation only: c++filt and the package both print a correct name. */
function style(s: string): string {
	for (const [re, short] of ABBREVIATIONS) s = s.replace(re, short);
	s = s.replace(/::(~?)basic_(string|istream|ostream|iostream)\(/g, "::$1$2(");
	s = s.replace(/decltype\(nullptr\)/g, "std::nullptr_t");
	while (s.includes("> >")) s = s.replace(/> >/g, ">>");
	s = s.replace(/operator<< </g, "operator<<<").replace(/operator>> </g, "operator>><");
	s = s.replace(/\{lambda\([^)]*\)#\d+\}/g, "{lambda}").replace(/'lambda\d*'\([^)]*\)/g, "{lambda}");
	s = s.replace(/&\(([^()]*)\([^()]*\)\)/g, "&$1");
	return s;
}

function agree(ours: string, theirs: string): "exact" | "style" | "raw" | "differs" {
	if (ours === theirs) return "exact";
	const a = style(ours);
	const b = style(theirs);
	// The package leaves out the return type of function templates.
	if (a === b || (b.endsWith(a) && !b.slice(0, b.length - a.length).includes("("))) return "style";
	return isMangled(ours) ? "raw" : "differs";
}

function compare(names: readonly string[]): Record<ReturnType<typeof agree>, number> {
	const want = cxxfilt(names);
	const tally = { exact: 0, style: 0, raw: 0, differs: 0 };
	names.forEach((n, i) => {
		tally[agree(demangle(n), want[i])]++;
	});
	return tally;
}

function mangledFunctions(path: string): string[] {
	return [
		...new Set(
			ElfFile.open(path)
				.symbols()
				.symbols.map((s) => s.name),
		),
	]
		.filter((n) => n.startsWith("_Z"))
		.sort();
}

test("libstdc++'s exported C++ functions: as c++filt prints them, up to style", (t) => {
	const names = mangledFunctions("/usr/lib/x86_64-linux-gnu/libstdc++.so.6");
	assert.ok(names.length > 4000, `${names.length} names`);
	const r = compare(names);
	t.diagnostic(`libstdc++: ${JSON.stringify(r)} of ${names.length}`);
	assert.ok((r.exact + r.style) / names.length >= 0.96, JSON.stringify(r));
	assert.ok(r.raw / names.length <= 0.002, `left mangled: ${r.raw}`);
});

test("node's C++ functions (every 3rd of ~79,000): as c++filt prints them, up to style", (t) => {
	const names = mangledFunctions("/usr/bin/node").filter((_, i) => i % 3 === 0);
	assert.ok(names.length > 20_000, `${names.length} names`);
	const r = compare(names);
	t.diagnostic(`node: ${JSON.stringify(r)} of ${names.length}`);
	assert.ok((r.exact + r.style) / names.length >= 0.95, JSON.stringify(r));
	assert.ok(r.raw / names.length <= 0.002, `left mangled: ${r.raw}`);
});

test("names typical of stack frames come out exactly as c++filt's", () => {
	const names = [
		"_ZN4node2fsL4ReadERKN2v820FunctionCallbackInfoINS1_5ValueEEE",
		"_ZN2v88internal9Execution4CallEPNS0_7IsolateENS0_6HandleINS0_6ObjectEEES6_iPS6_",
		"_ZNSt6thread4joinEv",
		"_ZSt9terminatev",
		"_ZL12inner_statici",
		"_ZN2ns5Klass6methodEi",
		"_ZN2ns5Klass6methodEi.cold",
		"_ZNKSt9bad_alloc4whatEv",
		"_ZN9__gnu_cxx27__verbose_terminate_handlerEv",
	];
	const want = cxxfilt(names);
	assert.deepEqual(names.map(demangle), want);
});

test("Rust legacy and v0 names (made by rustc 1.95): as c++filt prints them, without hashes and crate ids", () => {
	const names = [
		"_ZN1r4main17h086b0cfd890a8ea9E",
		"_ZN1r5outer15Walker$LT$T$GT$4step17h784faff20117664fE",
		"_ZN61_$LT$alloc..vec..Vec$LT$u8$GT$$u20$as$u20$r..outer..Visit$GT$5visit17h605e6a4ed2eebdc0E",
		"_ZN3std2rt10lang_start28_$u7b$$u7b$closure$u7d$$u7d$17ha86af84d9cc65291E",
		"_RNvCs6GmmlP4bgsG_1r4main",
		"_RNvMNtCs6GmmlP4bgsG_1r5outerINtB2_6WalkerNtNtCslNYArtu3iFV_5alloc6string6StringE4stepB4_",
		"_RNvXs_NtCs6GmmlP4bgsG_1r5outerINtNtCslNYArtu3iFV_5alloc3vec3VechENtB4_5Visit5visit",
		"_RINvMs5_NtNtCsjrHSEGnQ3l9_3std2io5errorNtB6_5Error3newReEBa_",
	];
	const want = cxxfilt(names).map((s) => s.replace(/\[[0-9a-f]{16}\]/g, "").replace(/::h[0-9a-f]{16}$/, ""));
	assert.deepEqual(names.map(demangle), want);
	assert.equal(demangle(names[4]), "r::main");
	assert.equal(demangle(names[5]), "<r::outer::Walker<alloc::string::String>>::step");
});

test("other names are returned unchanged, whatever they look like", () => {
	for (const n of [
		"main",
		"_start",
		"__libc_start_main",
		"_init",
		"_",
		"_Z",
		"_R",
		"_ZZZZ",
		"_Rbogus",
		"",
		"a`b",
		"_Z\u001b[31m",
	]) {
		assert.equal(demangle(n), n);
	}
	// Hostile inputs: very long and deeply nested names neither throw nor take long.
	const t0 = Date.now();
	for (const n of [
		`_Z${"PFv".repeat(5000)}`,
		`_Z1fIL${"Z1fIL".repeat(3000)}`,
		`_ZN${"1a".repeat(9000)}E`,
		`_R${"B_".repeat(8000)}`,
	]) {
		assert.equal(typeof demangle(n), "string");
	}
	assert.ok(Date.now() - t0 < 5000);
	// The demangler still works after them.
	assert.equal(demangle("_ZSt9terminatev"), "std::terminate()");
});

test("demanglerFor: raw names with nodemangle", () => {
	assert.equal(demanglerFor({ nodemangle: true })("_ZSt9terminatev"), "_ZSt9terminatev");
	assert.equal(demanglerFor()("_ZSt9terminatev"), "std::terminate()");
});
