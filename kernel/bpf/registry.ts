// The open-object registry lives in kernel/sys (native memory is tracked there
// too); kept here for the modules that import it from kernel/bpf.
export * from "../sys/open-objects.ts";
