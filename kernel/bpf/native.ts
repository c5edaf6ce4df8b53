// Native memory is kernel/sys's (native-memory.ts); kept here for the modules
// that import it from kernel/bpf.
export { NativeMemory, pageSize, roundUp } from "../sys/native-memory.ts";
