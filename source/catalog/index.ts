// source/catalog: providers and probe discovery (syscall, sdt, USDT, pid,
// profile, fbt), DTrace probe descriptions and matching, live processes.
export * from "./catalog.ts";
export * from "./description.ts";
export * from "./fbt.ts";
export * from "./glob.ts";
export * from "./probe.ts";
export { makedev, parseStat, readCmdline, readStat } from "./procfs.ts";
export * from "./profile.ts";
