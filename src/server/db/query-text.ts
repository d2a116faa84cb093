import type { Application } from '@nocobase/server';
import type { QueryText } from '../dumpers/types';

// A backup asks the main database three small things (the server's version, its tables, their row counts). Asked
// through the client tool, each is a process start: in a NocoBase server that holds the event loop 10-40 ms (the fork
// copies the page tables of a process of several hundred MB), and Debian's pg_wrapper adds about 50 ms of Perl per
// call. The app's own connection answers the same statements in the same shape, with no process.

/** A driver's value as a client tool prints it: JSON for objects (a json column), '' for NULL. */
export function cellText(value: unknown): string {
  if (value === null || value === undefined) return '';
  return typeof value === 'object' ? JSON.stringify(value) : String(value);
}

/** Rows as objects (a driver's answer, keys in column order) as the tools' unaligned text: tab between columns. */
export function rowsAsText(rows: readonly Record<string, unknown>[]): string {
  return rows.map((row) => Object.values(row).map(cellText).join('\t')).join('\n');
}

/** The app's own connection as a QueryText (the main database only: it is the one the app is connected to). */
export function queryTextOfApp(app: Application): QueryText {
  return async (sql) => rowsAsText((await app.db.sequelize.query(sql, { type: 'SELECT' } as never)) as unknown as Record<string, unknown>[]);
}
