import type { TFunction } from '../locale';
import type { Task } from '../types';
import { dialectLabel } from './dialects';

/** Names listed in a line; the rest is counted. */
const SHOWN = 20;

export interface MoveSummary {
  /** Short, for the status tag: "moved from SQLite". */
  label: string;
  /** What moved, what was converted, what did not move: one line each. */
  lines: string[];
  /** Something of the source did not move (tables, columns, views, triggers, functions): shown as a warning. */
  incomplete: boolean;
}

/**
 * A restore that moved the data into another dialect, as the page shows it once done: the rows and tables copied, the
 * columns converted, and what did not move (views, triggers and functions made by hand in the source database, tables
 * no collection defines), which the admin must recreate by hand. Null for any other task.
 */
export function moveSummary(task: Task, t: TFunction): MoveSummary | null {
  const report = task.kind === 'restore' ? task.options?.moveReport : null;
  if (!report || typeof report.moved !== 'object' || report.moved === null) return null;
  const move = task.options?.move;
  const names = (items: string[]) =>
    items.length > SHOWN ? `${items.slice(0, SHOWN).join(', ')} ${t('... and {{count}} more', { count: items.length - SHOWN })}` : items.join(', ');
  const rows = Object.values(report.moved).reduce((sum, n) => sum + (Number(n) || 0), 0);
  const lines = [
    t('Moved from {{from}} to {{to}}: {{tables}} tables, {{rows}} rows.', {
      from: dialectLabel(move?.from) || '?',
      to: dialectLabel(move?.to) || '?',
      tables: Object.keys(report.moved).length,
      rows,
    }),
  ];
  const converted = Object.entries(report.converted ?? {}).filter(([, n]) => Number(n) > 0);
  if (converted.length) lines.push(t('Columns converted on the way: {{list}}.', { list: converted.map(([kind, n]) => `${n} ${kind}`).join(', ') }));
  const missing: [string, string[] | undefined][] = [
    ['Tables not moved (no collection of this NocoBase defines them): {{list}}.', report.tablesNotMoved],
    ["Columns not moved (not in this NocoBase's tables): {{list}}.", report.columnsNotMoved],
    ['Views not moved (SQL of the source database: recreate them by hand): {{list}}.', report.views],
    ['Triggers not moved (recreate them by hand): {{list}}.', report.triggers],
    ['Functions and procedures not moved (recreate them by hand): {{list}}.', report.functions],
  ];
  let incomplete = false;
  for (const [key, items] of missing) {
    if (!items?.length) continue;
    incomplete = true;
    lines.push(t(key, { list: names(items) }));
  }
  return { label: t('moved from {{from}}', { from: dialectLabel(move?.from) || '?' }), lines, incomplete };
}
