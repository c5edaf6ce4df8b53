// kernel/ksyms: kernel symbols (/proc/kallsyms) and the functions fbt can trace.
export * from "./functions.ts";
export * from "./kallsyms.ts";
