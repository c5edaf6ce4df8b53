// Run as a separate process by attach.test.ts: loads a program named after
// argv[3], attaches it to 100 libc functions of process argv[2] plus the
// fixture's semaphore probe with one uprobe_multi link, says so, then waits to
// be killed.

import { attachUprobeMulti } from "../../../kernel/attach/index.ts";
import { Asm, Program, ProgType, R0 } from "../../../kernel/bpf/index.ts";
import { ElfFile } from "../../../kernel/elf/index.ts";
import { readMaps } from "../../../kernel/elf/procmaps.ts";
import { SIMPLE } from "../../helpers/fixture.ts";

const pid = Number(process.argv[2]);
const name = process.argv[3];
const prog = Program.load({ type: ProgType.KPROBE, insns: new Asm().mov(R0, 0).exit(), name, expectedAttachType: 48 });
const libc = readMaps(pid).find((m) => /\/libc\.so\.6$/.test(m.path))!.path;
const funcs = ElfFile.open(libc)
	.symbols()
	.symbols.filter((s) => s.size > 16)
	.slice(0, 99);
const elf = ElfFile.open(libc);
const libLink = attachUprobeMulti(prog.fd, {
	path: libc,
	pid,
	sites: funcs.map((f, i) => ({ offset: BigInt(elf.addressToOffset(f.address)!), cookie: BigInt(i) })),
});
const sema = ElfFile.open(SIMPLE)
	.usdtProbes()
	.find((p) => p.name === "sema__probe")!;
const semaLink = attachUprobeMulti(prog.fd, {
	path: SIMPLE,
	pid,
	sites: [{ offset: BigInt(sema.pcOffset), refCtrOffset: BigInt(sema.semaphoreOffset), cookie: 99n }],
});
process.stdout.write(`attached ${libLink.count + semaLink.count}\n`);
setInterval(() => {}, 1000);
