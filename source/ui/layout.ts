// Where the panes go for a terminal of a given size. The frame is one row shorter
// than the terminal: Ink 6 clears and rewrites the whole screen on every frame that
// is as tall as the terminal, and a shorter frame is updated line by line.
//
//   header                                    1 row
//   probe tree │ enabled table                body
//              │ detail pane
//   status / prompt / confirmation            1 row
//   footer                                    1 row

export interface Layout {
	cols: number;
	/** Rows of the frame (terminal rows − 1). */
	height: number;
	body: number;
	treeWidth: number;
	rightWidth: number;
	tableHeight: number;
	detailHeight: number;
}

export function computeLayout(cols: number, rows: number, enablings: number): Layout {
	const c = Math.max(20, cols);
	const height = Math.max(6, rows - 1);
	const body = height - 3;
	const treeWidth = Math.max(16, Math.min(72, Math.floor(c * 0.36)));
	const rightWidth = Math.max(1, c - treeWidth - 1);
	// The table takes what its rows need (title, column header, one per enabling), at
	// least room for a hint and at most half the body; the detail pane gets the rest.
	const tableHeight = Math.max(3, Math.min(enablings + 2, Math.max(3, Math.floor(body / 2))));
	const detailHeight = Math.max(1, body - tableHeight);
	return { cols: c, height, body, treeWidth, rightWidth, tableHeight, detailHeight };
}
