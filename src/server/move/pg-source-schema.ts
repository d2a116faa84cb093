import { runTool } from '../process/run';
import { lineWriter } from '../process/line-writer';
import type { SourceSchema } from './copy-plan';

// A PostgreSQL dump's tables, columns (with their types), views, triggers and functions, read from the schema SQL
// `pg_restore --schema-only -f -` writes: what a move out of PostgreSQL plans its copy with. Row counts are not in
// a dump: they are 0 here, the copy counts them.

const IDENT = '"(?:[^"]|"")*"|[^\\s."(]+';
const QUALIFIED = `(?:(?:${IDENT})\\.)?(${IDENT})`;
const TABLE = new RegExp(`^CREATE (?:UNLOGGED )?TABLE ${QUALIFIED} \\($`);
const COLUMN = new RegExp(`^    (${IDENT}) (.+?),?$`);
const VIEW = new RegExp(`^CREATE (?:MATERIALIZED )?VIEW ${QUALIFIED}`);
const TRIGGER = new RegExp(`^CREATE (?:CONSTRAINT )?TRIGGER (${IDENT})`);
const FUNCTION = new RegExp(`^CREATE (?:FUNCTION|PROCEDURE) ${QUALIFIED}\\(`);
// What may follow a column's type in pg_dump's CREATE TABLE.
const AFTER_TYPE = / (NOT NULL|DEFAULT|COLLATE|GENERATED|CONSTRAINT|NULL)\b.*$/;

const unquote = (s: string) => (s.startsWith('"') ? s.slice(1, -1).replace(/""/g, '"') : s);

/** Pure: feed the schema SQL line by line, then take the schema. */
export function pgSchemaReader(): { line(text: string): void; schema(): SourceSchema } {
  const schema: Required<SourceSchema> = { tables: [], views: [], triggers: [], functions: [] };
  let table: SourceSchema['tables'][number] | null = null;
  return {
    line(text) {
      if (table) {
        if (text.startsWith(')')) {
          schema.tables.push(table);
          table = null;
          return;
        }
        const m = COLUMN.exec(text);
        if (!m || /^CONSTRAINT$/i.test(m[1])) return;
        table.columns.push(unquote(m[1]));
        // "pg_catalog"."text"[] and text[] are the same type: quotes and the catalog's schema dropped.
        (table.types ??= []).push(m[2].replace(AFTER_TYPE, '').replace(/"/g, '').replace(/^pg_catalog\./, '').trim());
        return;
      }
      let m = TABLE.exec(text);
      if (m) {
        table = { name: unquote(m[1]), columns: [], types: [], rows: 0 };
        return;
      }
      if ((m = VIEW.exec(text))) schema.views.push(unquote(m[1]));
      else if ((m = TRIGGER.exec(text))) schema.triggers.push(unquote(m[1]));
      else if ((m = FUNCTION.exec(text))) schema.functions.push(unquote(m[1]));
    },
    schema: () => ({ ...schema, tables: [...schema.tables].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0)) }),
  };
}

/** Reads the dump's schema with pg_restore (no server needed), streamed line by line. */
export async function readPgSourceSchema(pgRestore: string, dump: string, signal?: AbortSignal): Promise<SourceSchema> {
  const reader = pgSchemaReader();
  const lines = lineWriter((l) => reader.line(l));
  await runTool({ command: pgRestore, args: ['--schema-only', '--no-owner', '--no-acl', '-f', '-', dump], env: {} }, { stdout: lines, signal });
  await new Promise<void>((resolve, reject) => lines.end((err?: Error | null) => (err ? reject(err) : resolve())));
  return reader.schema();
}
