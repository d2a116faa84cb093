import type { DbConfig } from '../dumpers/types';
import { myIdent } from '../dumpers/mysql-sql';
import { pgIdent } from '../dumpers/pg-sql';

// How NocoBase names a collection's table and columns, for the statements the standalone command runs without
// NocoBase (through the database's client, or the app's sqlite3 module).

/** 'backupsManagerSettings' -> 'backups_manager_settings' (DB_UNDERSCORED=true), as NocoBase names tables and columns. */
export function snake(name: string): string {
  return name.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toLowerCase();
}

/** A column of a NocoBase table, quoted for the dialect. */
export function columnRef(db: DbConfig, column: string, underscored: boolean): string {
  const name = underscored ? snake(column) : column;
  return db.dialect === 'mysql' || db.dialect === 'mariadb' ? myIdent(name) : pgIdent(name);
}

/** A collection's table: DB_TABLE_PREFIX, snake_case under DB_UNDERSCORED, in DB_SCHEMA on the PostgreSQL family. */
export function tableRef(db: DbConfig, collection: string, underscored: boolean): string {
  const name = `${db.tablePrefix ?? ''}${underscored ? snake(collection) : collection}`;
  if (db.dialect === 'postgres' || db.dialect === 'kingbase') return `${pgIdent(db.schema || 'public')}.${pgIdent(name)}`;
  // SQLite takes PostgreSQL's double-quoted identifiers.
  return db.dialect === 'sqlite' ? pgIdent(name) : myIdent(name);
}
