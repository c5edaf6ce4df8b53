// The subset's expression nodes for C types (ast.ts has the rest): a member of a
// struct or union variable, and a value in kernel memory reached through the
// kernel's types. Both are made while the parser narrows a program (rewrite.ts,
// kernel.ts) and never written by hand.

import type { Expr } from "../ast.ts";
import type { Position } from "../errors.ts";
import type { IntType } from "../types.ts";

/**
 * A scalar member of a struct or union variable (`v.a.b`, `this->s.m`), resolved when
 * parsed (source/d/ctypes): the variable, the member's place in it and its type.
 */
export interface FieldExpr {
	kind: "field";
	scope: "global" | "this";
	/** The variable's name. */
	name: string;
	/** Bytes the variable takes (its type's size, rounded up to 8). */
	varSize: number;
	/** The member's byte offset in the variable. */
	offset: number;
	type: IntType;
	/** A bit-field: its first bit from the variable's start, and its width. */
	bitOffset?: number;
	bits?: number;
	/** As written (`v.a.b`), for the printer and messages. */
	text: string;
	pos: Position;
}

/**
 * A value in kernel memory reached through the kernel's types (BTF), resolved when
 * parsed (source/d/ctypes/kernel.ts): `size` bytes read at base + offset (`read`), or
 * that address itself; a null base is the current task (curthread).
 */
export interface KernelExpr {
	kind: "kmem";
	base: Expr | null;
	offset: number;
	read: boolean;
	size: 1 | 2 | 4 | 8;
	signed: boolean;
	/** User memory (a member through a cast of copyin(), ctypes/user.ts), not the kernel's. */
	user?: boolean;
	/** A string of at most this many bytes at the value (stringof a char array or pointer). */
	str?: number;
	/** As written, for the printer and messages. */
	text: string;
	pos: Position;
}
