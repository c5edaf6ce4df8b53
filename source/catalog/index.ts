// source/catalog: the probes there are (each provider's listing through the
// registry in source/providers; USDT and pid probes found in live processes),
// DTrace probe descriptions and matching.
export * from "./catalog.ts";
export * from "./description.ts";
export * from "./fbt.ts";
export * from "./glob.ts";
export * from "./probe.ts";
export { makedev, parseStat, readCmdline, readStat } from "./procfs.ts";
export * from "./profile.ts";
