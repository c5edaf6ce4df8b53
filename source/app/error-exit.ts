// A runtime fault fires the ERROR probe, and in DTrace it fires there and then,
// inside the faulting firing: when an ERROR clause calls exit(), that exit is
// the first (its status is dtrace's), and the faulting firing's later clauses
// record nothing (DTrace's speculation/err.CommitWithInvalid.d: ERROR's
// exit(1) wins over a later clause's exit(0), and a later trace() is not
// printed). dtop runs ERROR there too (kernel/codegen/faults.ts); where it
// cannot (session.ts fault()), ERROR runs when the consumer reads the fault, and the
// consumer puts things in that order: it runs ERROR, reads what ERROR wrote,
// and when that holds an exit(), drops the faulting firing's records written
// after the fault (same CPU and probe, later timestamp) and puts ERROR's
// records in their place.
import type { RuntimeFault } from "../output/diagnostics.ts";
import type { EventRecord } from "../output/model.ts";
import type { Session } from "../session/session.ts";

type Batch = { records: EventRecord[]; faults: RuntimeFault[]; drops: Map<number, bigint> };

/**
 * Fire ERROR for each fault (reporting it with `report`); the records to print,
 * in DTrace's order. The drops the reads after ERROR found are added to the
 * batch's (each read takes the drops counted since the one before).
 */
export function fireErrors(session: Session, batch: Batch, report: (f: RuntimeFault) => void): EventRecord[] {
	let records = batch.records;
	const queue = [...batch.faults];
	const added: EventRecord[] = [];
	for (let f = queue.shift(); f; f = queue.shift()) {
		report(f);
		// ERROR ran in the faulting firing: its records are in the stream, in their place.
		if (f.errorFired) continue;
		session.fault(f);
		const after = session.pollEvents();
		queue.push(...after.faults);
		added.push(...after.records);
		for (const [cpu, n] of after.drops) batch.drops.set(cpu, (batch.drops.get(cpu) ?? 0n) + n);
		const exits = after.records.some(
			(r) => r.probe.provider === "dtrace" && r.probe.name === "ERROR" && r.actions.some((a) => a.kind === "exit"),
		);
		if (exits && f.cpu !== undefined && f.timestamp !== undefined) {
			const { cpu, timestamp } = f;
			records = records.filter((r) => !(r.cpu === cpu && r.probe.id === f.probe.id && r.timestamp > timestamp));
		}
	}
	return [...records, ...added];
}
