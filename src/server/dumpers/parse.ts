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
