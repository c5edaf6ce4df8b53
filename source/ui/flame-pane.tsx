// The live flame graph over the body (`f`): the icicle of flamegraph.tsx for
// the selected enabling's ustack()/kstack() aggregations (or every enabling's
// when none is selected), redrawn with every tick since it is made from the
// view each frame. Keys come through flameCommand; the zoom and the selection
// are frame names, so they survive the tree being rebuilt.

import { Box } from "ink";
import { useMemo } from "react";
import { flameRowsOf } from "../output/flame-rows.ts";
import { flameTree } from "../output/flame-tree.ts";
import type { SessionView } from "../session/view.ts";
import { escapeForTerminal } from "../util/escape.ts";
import { useUi } from "./context.tsx";
import { type FlameKey, flameKey, flameLines, frameAt, INITIAL_FLAME_STATE } from "./flamegraph.tsx";
import type { Command } from "./keys.ts";
import { Lines, seg } from "./line.tsx";
import { quit, showError, withEffect } from "./navigate.ts";
import type { State } from "./state.ts";
import { truncate } from "./text.ts";

type FlameModal = Extract<State["modal"], { kind: "flame" }>;

/** The part of the view the graph is drawn from. */
function scopeOf(view: SessionView, enablingId: number | undefined): SessionView {
	if (enablingId === undefined) return view;
	return { ...view, enablings: view.enablings.filter((e) => e.id === enablingId) };
}

function hasStacks(view: SessionView): boolean {
	return view.enablings.some((e) => e.aggregations.some((a) => a.keys.some((k) => /^[uk]stack\(|^jstack\(/.test(k))));
}

/** `f`: the flame graph of `enablingId` if its key holds a stack, else of every stack aggregation. */
export function openFlame(s: State, enablingId: number | undefined): State {
	const own = enablingId === undefined ? undefined : scopeOf(s.view, enablingId);
	const id = own && hasStacks(own) ? enablingId : undefined;
	if (id === undefined && !hasStacks(s.view)) {
		return showError(s, "No aggregation is keyed by a stack: press s to add ustack(), or k to reach ustack/kstack.");
	}
	return { ...s, modal: { kind: "flame", enablingId: id, flame: INITIAL_FLAME_STATE } };
}

const MOVES: Partial<Record<Command, FlameKey>> = {
	up: "up",
	down: "down",
	cursorLeft: "left",
	cursorRight: "right",
	zoomIn: "enter",
	zoomOut: "escape",
};

/** A key's command in the flame graph. */
export function flameCommand(s: State, modal: FlameModal, command: Command | undefined): State {
	if (command === "close") return { ...s, modal: { kind: "none" } };
	if (command === "quit") return quit(s);
	if (command === "rawNames") return withEffect(s, { kind: "rawNames", raw: !s.rawNames });
	const move = command && MOVES[command];
	if (!move) return s;
	const root = flameTree(flameRowsOf(scopeOf(s.view, modal.enablingId)));
	// Esc on the whole graph closes it.
	if (move === "escape" && modal.flame.zoom.length === 0) return { ...s, modal: { kind: "none" } };
	return { ...s, modal: { ...modal, flame: flameKey(root, modal.flame, move) } };
}

/**
 * A click or the wheel in the flame graph (`line`: the body's row): a click
 * selects the frame under it, a click on the selected frame zooms into it;
 * the wheel moves the selection to the caller or the widest callee.
 */
export function flameMouse(s: State, modal: FlameModal, x: number, line: number, button: string): State {
	const root = flameTree(flameRowsOf(scopeOf(s.view, modal.enablingId)));
	if (button === "wheelUp" || button === "wheelDown") {
		return { ...s, modal: { ...modal, flame: flameKey(root, modal.flame, button === "wheelUp" ? "up" : "down") } };
	}
	if (button !== "left") return s;
	// The pane's title and the selection line come first.
	const path = frameAt(root, modal.flame, s.cols, line - 2, x);
	if (!path) return s;
	const same = path.join("\0") === modal.flame.selected.join("\0");
	const flame = same ? flameKey(root, { ...modal.flame, selected: path }, "enter") : { ...modal.flame, selected: path };
	return { ...s, modal: { ...modal, flame } };
}

export function FlamePane({ state, width, height }: { state: State; width: number; height: number }) {
	const ui = useUi();
	const modal = state.modal;
	const enablingId = modal.kind === "flame" ? modal.enablingId : undefined;
	const root = useMemo(() => flameTree(flameRowsOf(scopeOf(state.view, enablingId))), [state.view, enablingId]);
	if (modal.kind !== "flame") return null;
	const label =
		enablingId === undefined
			? "every stack aggregation"
			: (state.view.enablings.find((e) => e.id === enablingId)?.label ?? `enabling ${enablingId}`);
	const title = [
		seg("Flame graph ", { bold: true }),
		seg(truncate(escapeForTerminal(label), Math.max(0, width - 40), ui.cs.ellipsis)),
		seg(`  (callers above callees${state.rawNames ? "; raw names" : ""})`, { dim: true }),
	];
	return (
		<Box flexDirection="column" width={width} height={height}>
			<Lines lines={[title]} width={width} height={1} />
			<Lines lines={flameLines(root, modal.flame, width, height - 1, ui)} width={width} height={height - 1} />
		</Box>
	);
}
