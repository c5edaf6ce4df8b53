// kernel/btf: the kernel's BTF type information, for fentry/fexit attach ids and
// function prototypes.
export * from "./btf.ts";
export * from "./walk.ts";
