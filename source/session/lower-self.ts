// self-> variables holding strings: each one is a hash map keyed by the thread
// id, made through the enabling's associative arrays (VarEnv.assoc, sized by
// dynvarsize) under the name `self.NAME` (no D identifier has a dot), so its
// elements are read, stored and counted as an associative array's.
// self->a[k, ...] (named `self->a` by the subset, source/d/self-arrays.ts) is
// an associative array whose keys start with the thread id: one element per
// thread and key, freed by assigning 0, bounded by dynvarsize like any other.
import type { KeyField, VarRef } from "../../kernel/codegen/ir.ts";
import { builtin } from "../d/ast.ts";
import { isSelfArray } from "../d/self-arrays.ts";
import { type LowerEnv, lowerInt } from "./lower.ts";

/** Where `self->name` (a string) lives: the element of its map for this thread. */
export function selfStrRef(name: string, env: LowerEnv, valueSize: number): VarRef {
	if (!env.vars) throw new Error("self-> strings need the enabling's variables.");
	const keys = [{ k: "int" as const, e: lowerInt(builtin("tid"), env) }];
	return { k: "assoc", mapFd: env.vars.assoc(`self.${name}`, keys, valueSize), keys };
}

/** The key fields an array element starts with: the thread id for a self-> array, none for a global one. */
export function threadKey(array: string, env: LowerEnv): KeyField[] {
	return isSelfArray(array) ? [{ k: "int", e: lowerInt(builtin("tid"), env) }] : [];
}
