import fs from 'fs';
import { pipeline } from 'stream/promises';
import { lineWriter } from '../process/line-writer';
import type { SourceSchema } from './copy-plan';

// A MySQL/MariaDB dump's tables, columns (with their types, in the order the dump's INSERTs give the values), views,
// triggers and routines, read from the dump's own CREATE statements: what a move out of MySQL or MariaDB plans its
// copy with. Row counts are not in a dump: they are 0 here, the caller fills them from the manifest.

const NAME = '`((?:[^`]|``)+)`';
const TABLE = new RegExp(`^CREATE TABLE ${NAME} \\($`);
const COLUMN = new RegExp(`^  ${NAME} (.+?),?$`);
// A view's placeholder and its definition both name it (`/*!50001 CREATE ... VIEW `v` AS ...`).
const VIEW = new RegExp(`^/\\*!50001 .*\\bVIEW ${NAME}`);
const TRIGGER = /\/\*!50003 TRIGGER `?((?:[^`\s]|``)+)`?/;
const ROUTINE = new RegExp(`^CREATE (?:DEFINER=\\S+ )?(?:FUNCTION|PROCEDURE) ${NAME}`);
// What may follow a column's type in SHOW CREATE TABLE's output.
const AFTER_TYPE = / (NOT NULL|NULL|DEFAULT|CHARACTER SET|COLLATE|AUTO_INCREMENT|COMMENT|GENERATED|CHECK|INVISIBLE|ON UPDATE)\b.*$/;

const unquote = (s: string) => s.replace(/``/g, '`');

/** Pure: feed the dump line by line, then take the schema. */
export function mysqlSchemaReader(): { line(text: string): void; schema(): SourceSchema } {
  const tables: SourceSchema['tables'] = [];
  const views = new Set<string>();
  const triggers = new Set<string>();
  const functions = new Set<string>();
  let table: SourceSchema['tables'][number] | null = null;
  return {
    line(text) {
      if (table) {
        if (text.startsWith(')')) {
          tables.push(table);
          table = null;
          return;
        }
        const m = COLUMN.exec(text);
        if (!m) return; // keys and constraints come after the columns, without a backquote first
        table.columns.push(unquote(m[1]));
        (table.types ??= []).push(m[2].replace(AFTER_TYPE, '').trim());
        return;
      }
      // Rows are most of a dump: only lines that can start a definition are looked at.
      const c = text[0];
      if (c !== 'C' && c !== '/') return;
      let m = TABLE.exec(text);
      if (m) table = { name: unquote(m[1]), columns: [], types: [], rows: 0 };
      else if ((m = VIEW.exec(text))) views.add(unquote(m[1]));
      else if ((m = TRIGGER.exec(text))) triggers.add(unquote(m[1]));
      else if ((m = ROUTINE.exec(text))) functions.add(unquote(m[1]));
    },
    schema: () => ({
      tables: tables.filter((t) => !views.has(t.name)).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0)),
      views: [...views].sort(),
      triggers: [...triggers].sort(),
      functions: [...functions].sort(),
    }),
  };
}

/** Reads the dump file's schema, streamed line by line (the rows are skipped, not held). */
export async function readMysqlSourceSchema(dump: string): Promise<SourceSchema> {
  const reader = mysqlSchemaReader();
  await pipeline(fs.createReadStream(dump, { highWaterMark: 1024 * 1024 }), lineWriter((l) => reader.line(l)));
  return reader.schema();
}
