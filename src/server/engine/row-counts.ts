import type { DbConfig, QueryText, ToolDumper, ToolInfo } from '../dumpers/types';
import { captureTool } from '../process/run';

/** Tables per counting statement: keeps the SQL far below the 128 KB limit of one argv entry. */
const BATCH = 100;

export interface CountOptions {
  tmpDir: string;
  /** Tables whose rows a backup leaves out: listed with 0 (what a restore of the dump holds), not counted. */
  zero?: string[];
  signal?: AbortSignal;
  /** cfg's database through a connection at hand (the app's), asked instead of the client tool: no process. */
  query?: QueryText;
}

/**
 * Exact row count of every base table of the configured schema/database, keys sorted. Used after a dump (for the
 * manifest) and on verify's scratch copy. One client per batch, not per table: ~100 tables cost ~5 s one by one.
 */
export async function countToolRows(
  dumper: ToolDumper,
  cfg: DbConfig,
  tool: ToolInfo,
  opts: CountOptions,
): Promise<Record<string, number>> {
  // The client tool runs the same statements as the connection would (querySpec: listTablesSpec and
  // countRowsBatchSpec are these statements through it).
  const ask: QueryText =
    opts.query ?? ((sql) => captureTool(dumper.querySpec(cfg, tool, sql, { tmpDir: opts.tmpDir }), { signal: opts.signal }));
  const tables = dumper.parseTableList(await ask(dumper.listTablesSql(cfg)));
  const zero = new Set(opts.zero ?? []);
  const entries: [string, number][] = tables.filter((t) => zero.has(t)).map((t) => [t, 0]);
  const counted = tables.filter((t) => !zero.has(t));
  for (let i = 0; i < counted.length; i += BATCH) {
    const batch = counted.slice(i, i + BATCH);
    entries.push(...Object.entries(dumper.parseRowCounts(await ask(dumper.countRowsBatchSql(cfg, batch)), batch)));
  }
  return sortedCounts(entries);
}

export function sortedCounts(entries: [string, number][]): Record<string, number> {
  return Object.fromEntries([...entries].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}
