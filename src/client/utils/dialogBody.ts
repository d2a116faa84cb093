import type { CSSProperties } from 'react';

/**
 * A dialog's body scrolls within the screen's height, so a tall one (the restore summary with its pre-flight report)
 * keeps its buttons on a 768 px laptop screen. The rest of the dialog (its top offset, title, footer) takes ~240 px.
 */
export const SCROLLING_BODY: CSSProperties = { maxHeight: 'calc(100vh - 240px)', overflowY: 'auto', overflowX: 'hidden' };
