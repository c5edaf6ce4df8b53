export * from "./cpus.ts";
export * from "./fentry.ts";
export * from "./kprobe.ts";
export * from "./link.ts";
export * from "./perf.ts";
export * from "./perf-attr.ts";
export * from "./tracepoint.ts";
export * from "./uprobe.ts";
