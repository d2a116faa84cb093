import type { ColumnKind } from './column-kinds';

/** One table a move copies: the source's columns that the target has too, with the target's kind of each. */
export interface CopyTable {
  source: string;
  target: string;
  /** `sourceType`: the column's type in a PostgreSQL source (an array, a boolean), which the text alone does not say. */
  columns: { source: string; target: string; kind: ColumnKind; sourceType?: string }[];
}

/** What one run of the reader child writes as a SQL script for the target's client (psql, mysql). */
export interface CopyScript {
  family: 'postgres' | 'mysql';
  /** PostgreSQL schema the tables live in. */
  schema?: string;
  /** MySQL: the zone DATETIMEs are written in (DB_TIMEZONE), minutes east of UTC. */
  offsetMinutes: number;
  /** Target tables emptied first (what NocoBase's install put in them). */
  truncate: string[];
  tables: CopyTable[];
  /** PostgreSQL: [table, column] whose sequence is set past the highest value copied. */
  sequences: [string, string][];
  /** Rows read from SQLite at a time. */
  batchRows: number;
}
