// A fault record of the ring buffer (kernel/codegen/faults.ts) as the runtime
// fault the consumer reports ("dtop: error on enabled probe ID ...") and, when
// ERROR did not already run inside the faulting firing, hands to the ERROR probe.
import type { FaultRecord } from "../../kernel/codegen/faults.ts";
import type { RuntimeFault } from "../output/diagnostics.ts";
import type { ProbeName } from "../output/model.ts";

export function runtimeFault(r: FaultRecord, probe: ProbeName, enabling: number): RuntimeFault {
	const at = { cpu: r.cpu, timestamp: r.timestamp };
	const f: RuntimeFault = {
		epid: r.epid,
		probe,
		fault: r.fault,
		addr: r.addr,
		action: r.action,
		clause: r.clause,
		enabling,
		...at,
	};
	if (r.errorFired) f.errorFired = true;
	return f;
}

/** The ERROR probe's context: arg0 0, arg1 the enabled probe id, arg2 the clause, arg3 the action, arg4 the fault, arg5 the address. */
export function errorContext(f: RuntimeFault): Buffer<ArrayBuffer> {
	const ctx = Buffer.alloc(48);
	ctx.writeBigUInt64LE(BigInt(f.epid), 8);
	ctx.writeBigUInt64LE(BigInt(f.clause ?? 0), 16);
	ctx.writeBigUInt64LE(BigInt(f.action), 24);
	ctx.writeBigUInt64LE(BigInt(f.fault), 32);
	ctx.writeBigUInt64LE(BigInt.asUintN(64, f.addr ?? 0n), 40);
	return ctx;
}
