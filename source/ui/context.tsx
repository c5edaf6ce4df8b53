// What every component needs to know about the terminal: its glyphs and whether
// SGR attributes (colour, bold, inverse) may be written at all.

import { createContext, useContext } from "react";
import { type Charset, UNICODE } from "./charset.ts";

export interface Ui {
	cs: Charset;
	color: boolean;
}

export const UiContext = createContext<Ui>({ cs: UNICODE, color: true });

export function useUi(): Ui {
	return useContext(UiContext);
}
