import { kingbaseDumper } from './kingbase';
import { mariadbDumper } from './mariadb';
import { mysqlDumper } from './mysql';
import { postgresDumper } from './postgres';
import { sqliteDumper } from './sqlite';
import type { DbConfig, Dumper, ToolDumper } from './types';

const DUMPERS: Record<DbConfig['dialect'], Dumper> = {
  postgres: postgresDumper,
  kingbase: kingbaseDumper,
  mysql: mysqlDumper,
  mariadb: mariadbDumper,
  sqlite: sqliteDumper,
};

export function getDumper(dialect: string): Dumper {
  // hasOwn: a dialect named 'constructor' must not find Object.prototype's.
  if (!Object.prototype.hasOwnProperty.call(DUMPERS, dialect)) {
    throw new Error(`Unsupported database dialect: ${dialect}`);
  }
  return DUMPERS[dialect as DbConfig['dialect']];
}

/** For callers that need client tools: SQLite has none. */
export function getToolDumper(dialect: string): ToolDumper {
  const dumper = getDumper(dialect);
  if (dumper.kind !== 'tool') throw new Error(`${dialect} is backed up without client tools`);
  return dumper;
}
