/** Parsers for the output of the small queries verify runs. */

export function firstLine(stdout: string): string {
  return stdout.trim().split('\n')[0]?.trim() ?? '';
}

/** A JSON array of names (PostgreSQL's json_agg, the SQLite child). */
export function parseJsonNames(stdout: string): string[] {
  const value: unknown = JSON.parse(stdout.trim() || '[]');
  if (!Array.isArray(value) || !value.every((name) => typeof name === 'string')) {
    throw new Error('Unexpected table list');
  }
  return value;
}

export function parseCount(stdout: string): number {
  const text = stdout.trim();
  const count = Number(text);
  if (!text || !Number.isSafeInteger(count)) throw new Error(`Unexpected row count: ${text.slice(0, 100)}`);
  return count;
}

/** Lines of `<index>|<count>` (psql -A) or `<index>\t<count>` (mysql -B), mapped back to the table names. */
export function parseRowCounts(stdout: string, tables: string[]): Record<string, number> {
  const entries: [string, number][] = [];
  for (const line of stdout.split('\n')) {
    if (!line.trim()) continue;
    const match = /^\s*(\d+)\D+(\d+)\s*$/.exec(line);
    const table = match ? tables[Number(match[1])] : undefined;
    if (!match || table === undefined) throw new Error(`Unexpected row count line: ${line.slice(0, 100)}`);
    entries.push([table, parseCount(match[2])]);
  }
  // fromEntries defines own properties: a table called __proto__ is a key like any other.
  const counts = Object.fromEntries(entries);
  const missing = tables.filter((t) => !Object.prototype.hasOwnProperty.call(counts, t));
  if (missing.length) throw new Error(`No row count for ${missing.slice(0, 5).join(', ')}`);
  return counts;
}
