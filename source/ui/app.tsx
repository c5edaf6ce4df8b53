// The interactive shell: lays out the panes and draws the state. The state lives
// in a Store (store.ts) changed only by reduce(state, action) (reduce.ts); keys,
// clicks and pastes come from use-input.ts, session updates from
// use-controller.ts, and what the reducer asks of the Controller is run by
// effects.ts. Rendering reads the state and writes nothing.

import { Box, useApp, useStdout } from "ink";
import { useCallback, useEffect, useMemo, useState, useSyncExternalStore } from "react";
import type { EnablingView } from "../session/view.ts";
import { UNICODE } from "./charset.ts";
import { type Ui, UiContext } from "./context.tsx";
import type { Controller } from "./controller.ts";
import { DetailPane, detailContent, maxDetailTop } from "./detail-pane.tsx";
import { Effects } from "./effects.ts";
import { EnabledTable, sortEnablings } from "./enabled-table.tsx";
import { EventsPane } from "./events-pane.tsx";
import { FlamePane } from "./flame-pane.tsx";
import { Footer } from "./footer.tsx";
import { Header } from "./header.tsx";
import type { Layout } from "./layout.ts";
import { Lines, seg } from "./line.tsx";
import { contextOf, layoutOf, selectedEnabling } from "./navigate.ts";
import { Confirm, DViewer, HelpOverlay, StatusLine } from "./overlays.tsx";
import { ProbeTree } from "./probe-tree.tsx";
import { Prompt } from "./prompt.tsx";
import { createState } from "./reduce.ts";
import type { State } from "./state.ts";
import { Store } from "./store.ts";
import { useControllerUpdates, useTerminalSize } from "./use-controller.ts";
import { useEventUpdates } from "./use-events.ts";
import { useTerminalInput } from "./use-input.ts";

export interface AppProps {
	controller: Controller;
	/** Terminal size; by default stdout's, following resizes. */
	columns?: number;
	rows?: number;
	/** Glyphs and colour (see charset.ts); Unicode with colour by default. */
	ui?: Ui;
	/** Called after `q` / Ctrl-C, once the controller was told (the runner restores the terminal). */
	onQuit?: () => void;
}

const DEFAULT_UI: Ui = { cs: UNICODE, color: true };

export function App(props: AppProps) {
	const { controller } = props;
	const { exit } = useApp();
	const { stdout } = useStdout();
	const [{ store, effects }] = useState(() => {
		const effects = new Effects(controller);
		const cols = props.columns ?? stdout.columns ?? 80;
		const rows = props.rows ?? stdout.rows ?? 24;
		const made = createState(controller.view(), cols, rows, props.ui ?? DEFAULT_UI);
		const first = controller.rawNamesAtStart ? { ...made, rawNames: true } : made;
		const notice = controller.notice;
		const store = new Store(notice ? { ...first, message: { text: notice } } : first, effects.run);
		// The tree's first rows, so that the first frame shows them.
		store.start();
		return { store, effects };
	});
	useEffect(() => {
		effects.host = { exit: () => exit(), onQuit: props.onQuit };
	}, [effects, exit, props.onQuit]);
	useEffect(() => () => effects.close(), [effects]);
	// A failure in the UI's own code ends the app; the runner restores the terminal and reports it.
	const fail = useCallback((e: unknown) => exit(e instanceof Error ? e : new Error(String(e))), [exit]);
	useTerminalSize(store.dispatch, props.columns, props.rows);
	useControllerUpdates(controller, store.dispatch, fail);
	useEventUpdates(controller, store.dispatch, fail);
	useTerminalInput(store.dispatch, fail);
	const state = useSyncExternalStore(store.subscribe, store.getState);
	return <Screen state={state} />;
}

function Screen({ state }: { state: State }) {
	const layout = layoutOf(state);
	return (
		<UiContext.Provider value={state.ui}>
			<Box flexDirection="column" width={layout.cols} height={layout.height}>
				<Header view={state.view} width={layout.cols} />
				<Body state={state} layout={layout} />
				<Status state={state} layout={layout} />
				{state.modal.kind === "prompt" && state.message ? (
					// A D error from `:` stays visible under the clause being corrected.
					<StatusLine message={state.message} width={layout.cols} />
				) : (
					<Footer context={contextOf(state)} width={layout.cols} />
				)}
			</Box>
		</UiContext.Provider>
	);
}

function Body({ state, layout }: { state: State; layout: Layout }) {
	const modal = state.modal;
	const selected = selectedEnabling(state);
	const sorted = useMemo(() => sortEnablings(state.view.enablings, state.sort), [state.view.enablings, state.sort]);
	const detail = useMemo(
		() => detailContent(selected, layout.rightWidth, state.ui.cs),
		[selected, layout.rightWidth, state.ui.cs],
	);
	if (modal.kind === "help") return <HelpOverlay width={layout.cols} height={layout.body} top={modal.top} />;
	if (modal.kind === "dview") {
		return <DViewer title={modal.title} d={modal.d} width={layout.cols} height={layout.body} top={modal.top} />;
	}
	if (modal.kind === "flame") return <FlamePane state={state} width={layout.cols} height={layout.body} />;
	if (state.eventsPane.open) {
		return <EventsPane events={state.events} pane={state.eventsPane} width={layout.cols} height={layout.body} />;
	}
	const t = state.tree;
	return (
		<Box flexDirection="row" height={layout.body}>
			<Box flexDirection="column" width={layout.treeWidth}>
				<ProbeTree
					rows={t.rows}
					selected={t.selected}
					top={t.top}
					width={layout.treeWidth}
					height={layout.body}
					focused={state.focus === "tree"}
					filter={t.filter}
					empty={t.error}
					loading={t.loading}
				/>
			</Box>
			<Box flexDirection="column" width={1}>
				<Separator height={layout.body} />
			</Box>
			<Box flexDirection="column" width={layout.rightWidth}>
				<EnabledTable
					enablings={sorted as EnablingView[]}
					sort={state.sort}
					selectedId={selected?.id}
					top={state.tableTop}
					width={layout.rightWidth}
					height={layout.tableHeight}
					focused={state.focus === "table"}
				/>
				<DetailPane
					enabling={selected}
					content={detail}
					top={Math.min(state.detailTop, maxDetailTop(detail.length, layout.detailHeight))}
					width={layout.rightWidth}
					height={layout.detailHeight}
					focused={state.focus === "detail"}
				/>
			</Box>
		</Box>
	);
}

function Separator({ height }: { height: number }) {
	return (
		<UiContext.Consumer>
			{({ cs }) => <Lines lines={Array.from({ length: height }, () => [seg(cs.vline)])} />}
		</UiContext.Consumer>
	);
}

function Status({ state, layout }: { state: State; layout: Layout }) {
	const modal = state.modal;
	if (modal.kind === "prompt") {
		return <Prompt prefix={modal.mode === ":" ? ": " : "/ "} state={modal.state} width={layout.cols} />;
	}
	if (modal.kind === "confirm") return <Confirm count={modal.count} what={modal.path.join(":")} width={layout.cols} />;
	if (state.message) return <StatusLine message={state.message} width={layout.cols} />;
	if (state.tree.filter) {
		return <StatusLine message={{ text: `filter ${state.tree.filter}   (Esc clears)` }} width={layout.cols} />;
	}
	return <StatusLine width={layout.cols} />;
}
