import { getDumper } from '../dumpers';
import { pgLiteral } from '../dumpers/pg-sql';
import type { DbConfig, ToolInfo } from '../dumpers/types';
import { captureTool } from '../process/run';
import { sqliteColumns } from '../dumpers/sqlite-snapshot';
import { kindOfMysql, kindOfPg, kindOfSqlite } from './column-kinds';
import type { TargetSchema } from './copy-plan';

// The target's tables and columns as NocoBase created them, read through the database's client tool (one JSON
// value: no table or column name can break the parsing).

const PG_SQL = (schema: string) =>
  `SELECT coalesce(json_agg(json_build_array(c.table_name, c.column_name, c.data_type, ` +
  `coalesce(c.column_default LIKE 'nextval(%' OR c.is_identity = 'YES', false)) ` +
  `ORDER BY c.table_name, c.ordinal_position), '[]') FROM information_schema.columns c ` +
  `JOIN information_schema.tables t ON t.table_schema = c.table_schema AND t.table_name = c.table_name ` +
  `WHERE c.table_schema = ${pgLiteral(schema)} AND t.table_type = 'BASE TABLE'`;

// group_concat_max_len bounds JSON_ARRAYAGG on MariaDB.
const MY_SQL =
  `SET SESSION group_concat_max_len = 1073741824; ` +
  `SELECT COALESCE(JSON_ARRAYAGG(JSON_ARRAY(c.TABLE_NAME, c.COLUMN_NAME, c.DATA_TYPE, c.COLUMN_TYPE, c.ORDINAL_POSITION)), '[]') ` +
  `FROM information_schema.COLUMNS c JOIN information_schema.TABLES t ` +
  `ON t.TABLE_SCHEMA = c.TABLE_SCHEMA AND t.TABLE_NAME = c.TABLE_NAME ` +
  `WHERE c.TABLE_SCHEMA = DATABASE() AND t.TABLE_TYPE = 'BASE TABLE'`;

/** Pure: the JSON rows of either query as a schema (columns in their table's order). */
export function parseTargetSchema(family: 'postgres' | 'mysql', json: string): TargetSchema {
  const rows = JSON.parse(json) as unknown[][];
  if (!Array.isArray(rows)) throw new Error('Unexpected column list');
  const tables = new Map<string, { name: string; columns: { name: string; kind: ReturnType<typeof kindOfPg>; serial: boolean; at: number }[] }>();
  rows.forEach((r, i) => {
    if (!Array.isArray(r) || typeof r[0] !== 'string' || typeof r[1] !== 'string' || typeof r[2] !== 'string') {
      throw new Error('Unexpected column list');
    }
    const [table, column, dataType] = r as string[];
    let t = tables.get(table);
    if (!t) tables.set(table, (t = { name: table, columns: [] }));
    if (family === 'postgres') t.columns.push({ name: column, kind: kindOfPg(dataType), serial: r[3] === true, at: i });
    else t.columns.push({ name: column, kind: kindOfMysql(dataType, String(r[3] ?? '')), serial: false, at: Number(r[4]) });
  });
  return {
    tables: [...tables.values()]
      .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
      .map((t) => ({ name: t.name, columns: t.columns.sort((a, b) => a.at - b.at).map(({ name, kind, serial }) => ({ name, kind, serial })) })),
  };
}

export const familyOf = (dialect: DbConfig['dialect']): 'postgres' | 'mysql' | 'sqlite' =>
  dialect === 'postgres' || dialect === 'kingbase' ? 'postgres' : dialect === 'sqlite' ? 'sqlite' : 'mysql';

export async function readTargetSchema(db: DbConfig, tool: ToolInfo, tmpDir: string): Promise<TargetSchema> {
  const dumper = getDumper(db.dialect);
  const family = familyOf(db.dialect);
  if (dumper.kind !== 'tool' || family === 'sqlite') throw new Error(`A move into ${db.dialect} is not supported yet`);
  const sql = family === 'postgres' ? PG_SQL(db.schema || 'public') : MY_SQL;
  const out = (await captureTool(dumper.querySpec(db, tool, sql, { tmpDir }))).trim();
  return parseTargetSchema(family, out.split('\n').pop() || '[]');
}

/** A new SQLite file's tables as NocoBase's install made them (no sequences: SQLite counts from the rows). */
export async function readSqliteTargetSchema(file: string, sqliteModule: string): Promise<TargetSchema> {
  const tables = new Map<string, TargetSchema['tables'][number]>();
  for (const [table, column, type] of await sqliteColumns(file, { modulePath: sqliteModule })) {
    let t = tables.get(table);
    if (!t) tables.set(table, (t = { name: table, columns: [] }));
    t.columns.push({ name: column, kind: kindOfSqlite(type), serial: false });
  }
  return { tables: [...tables.values()] };
}
