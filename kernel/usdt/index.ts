// kernel/usdt: USDT argument specs (parsing, and how to read them from pt_regs).
export * from "./args.ts";
