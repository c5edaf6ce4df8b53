// CPU lists for per-CPU sampling events (kernel/bpf parses them for maps).
export { onlineCpus as onlineCpuList, parseCpuList, possibleCpus as possibleCpuList } from "../bpf/map.ts";
