import { readFileSync } from "node:fs";

/** Parse a kernel CPU list such as "0-3,5,7-8". */
export function parseCpuList(text: string): number[] {
	const out: number[] = [];
	for (const part of text.trim().split(",")) {
		if (!part) continue;
		const [a, b] = part.split("-").map((x) => Number.parseInt(x, 10));
		if (Number.isNaN(a)) continue;
		for (let c = a; c <= (b ?? a); c++) out.push(c);
	}
	return out;
}

let cached: number[] | undefined;
/** CPUs that can ever be online (per-CPU maps have one slot for each). */
export function possibleCpuList(): number[] {
	cached ??= parseCpuList(readFileSync("/sys/devices/system/cpu/possible", "utf8"));
	return cached;
}

/** CPUs online now (sampling events can only be opened on these). */
export function onlineCpuList(): number[] {
	return parseCpuList(readFileSync("/sys/devices/system/cpu/online", "utf8"));
}
