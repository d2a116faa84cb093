import type { MoveReport } from '../move/copy-plan';

const list = (items: string[], max = 20) => (items.length > max ? `${items.slice(0, max).join(', ')} and ${items.length - max} more` : items.join(', '));

/** The move's report for the command line: what moved, what was converted, what did not move. */
export function moveReportText(r: MoveReport): string {
  const tables = Object.keys(r.moved).length;
  const rows = Object.values(r.moved).reduce((a, b) => a + b, 0);
  const lines = [`Moved ${tables} tables, ${rows} rows.`];
  const converted = Object.entries(r.converted).map(([kind, n]) => `${n} ${kind}`);
  if (converted.length) lines.push(`Columns converted on the way: ${converted.join(', ')}.`);
  if (r.tablesNotMoved.length) lines.push(`Not moved (no collection of this NocoBase defines them): ${list(r.tablesNotMoved)}.`);
  if (r.columnsNotMoved.length) lines.push(`Columns not moved (not in this NocoBase's tables): ${list(r.columnsNotMoved)}.`);
  if (r.views.length) lines.push(`Views not moved (SQL of the source database, recreate them by hand): ${list(r.views)}.`);
  if (r.triggers.length) lines.push(`Triggers not moved: ${list(r.triggers)}.`);
  if (r.functions?.length) lines.push(`Functions and procedures not moved: ${list(r.functions)}.`);
  return lines.join('\n');
}
