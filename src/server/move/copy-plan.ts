import type { ColumnKind } from './column-kinds';
import type { CopyTable } from './copy-plan-types';

// Pure: which of the source's tables and columns a move copies into which of the target's, and what it cannot move.

export interface SourceSchema {
  /** `types`: each column's type where the source records one (a PostgreSQL dump; SQLite keeps any value anywhere). */
  tables: { name: string; columns: string[]; types?: string[]; rows: number }[];
  /** Views, triggers and functions created in the source database: SQL of one dialect, not translated. */
  views: string[];
  triggers: string[];
  functions?: string[];
}

export interface TargetColumn {
  name: string;
  kind: ColumnKind;
  /** Filled from a sequence (PostgreSQL serial/identity): set past the highest id after the copy. */
  serial: boolean;
}

export interface TargetSchema {
  tables: { name: string; columns: TargetColumn[] }[];
}

export interface CopyRound {
  tables: CopyTable[];
  /** Target tables emptied first: the ones this round fills. */
  truncate: string[];
  /** [table, column] of the serial columns of the tables filled. */
  sequences: [string, string][];
}

/** Exact name first, then case-insensitive (MySQL with lower_case_table_names=1 keeps names in lower case). */
function byName<T extends { name: string }>(items: T[]): (name: string) => T | undefined {
  const exact = new Map(items.map((i) => [i.name, i]));
  const folded = new Map<string, T>();
  for (const i of items) if (!folded.has(i.name.toLowerCase())) folded.set(i.name.toLowerCase(), i);
  return (name) => exact.get(name) ?? folded.get(name.toLowerCase());
}

/** The source tables found in the target, with the columns both have. */
export function planRound(source: SourceSchema, target: TargetSchema): CopyRound {
  const find = byName(target.tables);
  const round: CopyRound = { tables: [], truncate: [], sequences: [] };
  for (const s of source.tables) {
    const t = find(s.name);
    if (!t) continue;
    const column = byName(t.columns);
    const columns: CopyTable['columns'] = [];
    s.columns.forEach((c, i) => {
      const tc = column(c);
      if (tc) columns.push({ source: c, target: tc.name, kind: tc.kind, ...(s.types ? { sourceType: s.types[i] } : {}) });
    });
    round.truncate.push(t.name);
    if (columns.length) round.tables.push({ source: s.name, target: t.name, columns });
    for (const c of t.columns) if (c.serial) round.sequences.push([t.name, c.name]);
  }
  return round;
}

/**
 * After db:sync: the tables it created, and the first round's tables that now have more of the source's columns
 * (fields the admin added to a built-in collection, such as users, are created by db:sync, not by the install):
 * those are emptied and copied again, whole.
 */
export function planSecondRound(source: SourceSchema, target: TargetSchema, first: CopyRound): CopyRound {
  const copied = new Map(first.tables.map((t) => [t.source, t.columns.length]));
  const now = planRound(source, target);
  const again = new Set(now.tables.filter((t) => copied.get(t.source) !== t.columns.length).map((t) => t.target));
  const filled = new Set(first.truncate);
  const fresh = (t: string) => again.has(t) || !filled.has(t);
  return {
    tables: now.tables.filter((t) => again.has(t.target)),
    truncate: now.truncate.filter(fresh),
    sequences: now.sequences.filter(([t]) => fresh(t)),
  };
}

export interface MoveReport {
  /** Source table → rows copied. */
  moved: Record<string, number>;
  /** Source tables no collection of the target's NocoBase defines (a plugin missing, a table made by hand). */
  tablesNotMoved: string[];
  /** `table.column` of the source without a column in the target. */
  columnsNotMoved: string[];
  /** Tables only the target has: kept as NocoBase created them. */
  targetOnly: string[];
  views: string[];
  triggers: string[];
  functions: string[];
  /** Columns converted on the way, by the target's kind (booleans, JSON, times...): kind → count. */
  converted: Partial<Record<ColumnKind, number>>;
}

/** Once every round ran: what moved, what could not, what was converted. */
export function moveReport(source: SourceSchema, target: TargetSchema, copied: CopyTable[], rows: Record<string, number>): MoveReport {
  const copiedBy = new Map(copied.map((t) => [t.source, t]));
  const findSource = byName(source.tables.map((t) => ({ name: t.name })));
  const report: MoveReport = {
    moved: {},
    tablesNotMoved: [],
    columnsNotMoved: [],
    targetOnly: target.tables.filter((t) => !findSource(t.name)).map((t) => t.name),
    views: source.views,
    triggers: source.triggers,
    functions: source.functions ?? [],
    converted: {},
  };
  for (const s of source.tables) {
    const t = copiedBy.get(s.name);
    if (!t) {
      report.tablesNotMoved.push(s.name);
      continue;
    }
    report.moved[s.name] = rows[t.target] ?? 0;
    const have = new Set(t.columns.map((c) => c.source));
    for (const c of s.columns) if (!have.has(c)) report.columnsNotMoved.push(`${s.name}.${c}`);
    for (const c of t.columns) if (c.kind !== 'text' && c.kind !== 'integer') report.converted[c.kind] = (report.converted[c.kind] ?? 0) + 1;
  }
  return report;
}
