// The runtime options that change what is printed, with DTrace's reading of
// an option's value (dt_options.c's dt_opt_runtime): no value sets it;
// yes/enable/enabled/true/on/set set it and no/disable/disabled/false/off/
// unset or "" clear it (any case); otherwise the value is a non-negative
// integer (decimal, 0x hex or 0 octal) — and, as in DTrace, 0 counts as set.

import type { AggOptions } from "./model.ts";

/** A value DTrace would refuse: "couldn't set option "aggsortpos" to "-1": invalid option value". */
export class OptionValueError extends Error {
	constructor(
		readonly option: string,
		readonly value: string,
	) {
		super(`couldn't set option "${option}" to "${value}": invalid option value`);
		this.name = "OptionValueError";
	}
}

const POSITIVE = ["yes", "enable", "enabled", "true", "on", "set"];
const NEGATIVE = ["no", "disable", "disabled", "false", "off", "unset"];

/** An option's value: undefined when unset, else its number (1 for the words that set it). */
export function optionValue(option: string, value: string | undefined): bigint | undefined {
	if (value === undefined) return 1n;
	if (value === "") return undefined;
	const v = value.toLowerCase();
	if (POSITIVE.includes(v)) return 1n;
	if (NEGATIVE.includes(v)) return undefined;
	const m = /^(?:0x([0-9a-f]+)|0([0-7]*)|([1-9][0-9]*))$/i.exec(value);
	if (!m) throw new OptionValueError(option, value);
	const n = m[1] !== undefined ? BigInt(`0x${m[1]}`) : m[2] !== undefined ? BigInt(`0o${m[2] || "0"}`) : BigInt(m[3]);
	if (n >= 1n << 64n) throw new OptionValueError(option, value);
	return n;
}

export interface OutputOptions extends AggOptions {
	quiet?: boolean;
	stackindent?: number;
}

const FLAGS = ["quiet", "aggsortkey", "aggsortrev", "agghist", "aggpack", "aggzoom"] as const;
const NUMBERS = ["aggsortpos", "aggsortkeypos", "stackindent"] as const;

/**
 * Applies one option to the output options (for -x, #pragma D option and
 * setopt()). Returns false for options that do not concern output.
 */
export function setOutputOption(o: OutputOptions, option: string, value?: string): boolean {
	const flag = (FLAGS as readonly string[]).includes(option);
	const number = (NUMBERS as readonly string[]).includes(option);
	if (!flag && !number) return false;
	const v = optionValue(option, value);
	if (flag) o[option as (typeof FLAGS)[number]] = v !== undefined;
	else {
		// An unset position sorts from the first key or aggregation, as DTrace's does.
		const n = v === undefined || v > 2n ** 31n - 1n ? undefined : Number(v);
		o[option as (typeof NUMBERS)[number]] = n;
	}
	return true;
}
