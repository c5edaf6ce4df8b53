// kernel/bpf: the BPF assembler, maps, ring buffers, program loading and kernel
// feature probes, over raw bpf(2) from kernel/sys.

// The errors this layer throws, so callers need not import kernel/sys for them.
export { NotSupportedError, SyscallError, VerifierError } from "../sys/index.ts";
export * from "./asm.ts";
export * from "./features.ts";
export * from "./helpers.ts";
export * from "./map.ts";
export { NativeMemory, pageSize } from "./native.ts";
export * from "./program.ts";
export { type ObjectKind, type OpenObject, openObjectList, openObjects, track, untrack } from "./registry.ts";
export { RecordSpans, RingBuffer } from "./ringbuf.ts";
export { BPF_F_SLEEPABLE, copyFromUserStrId } from "./sleepable.ts";
export { taskStorageMap } from "./task-storage.ts";
