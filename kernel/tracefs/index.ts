// kernel/tracefs: finds or mounts tracefs, lists tracepoints, parses their
// record layouts, reads their ids; system call numbers per architecture.
export * from "./format.ts";
export * from "./syscall-numbers.ts";
export * from "./tracefs.ts";
