import { kindOfSqlite } from '../column-kinds';
import { makeCopyText } from '../copy-text';
import { canMove } from '../crossing';
import { pgSchemaReader } from '../pg-source-schema';
import { makeSqliteValues } from '../sqlite-values';

// The pure parts of a move out of PostgreSQL into SQLite (move-into-sqlite.ts); copy-into-sqlite.real.test.ts runs
// them on a real dump.

const copy = makeCopyText();
const { fromPg } = makeSqliteValues();

describe('COPY text', () => {
  it('reads the table and columns of quoted and bare COPY lines, and nothing else', () => {
    expect(copy.header('COPY "public"."Items" ("id", "a ""b""", "c,d") FROM stdin;')).toEqual({ schema: 'public', table: 'Items', columns: ['id', 'a "b"', 'c,d'] });
    expect(copy.header('COPY public.users (id, "createdAt") FROM stdin;')).toEqual({ schema: 'public', table: 'users', columns: ['id', 'createdAt'] });
    expect(copy.header('COPY items (id) FROM stdin;')).toEqual({ schema: null, table: 'items', columns: ['id'] });
    expect(copy.header("SELECT pg_catalog.setval('public.items_id_seq', 5, true);")).toBeNull();
    expect(copy.header('-- COPY x (a) FROM stdin;')).toBeNull();
  });

  it('splits fields on tabs, \\N as null, every escape undone', () => {
    expect(copy.fields('1\t\\N\ta\\tb\\nc\\\\d\\re\t\\\\N\t\\x41\\101\\q\t')).toEqual(['1', null, 'a\tb\nc\\d\re', '\\N', 'AAq', '']);
  });
});

describe('values as NocoBase keeps them on SQLite', () => {
  it('writes instants as Sequelize does, in UTC with milliseconds, from any offset', () => {
    expect(fromPg('timestamptz', 'timestamp with time zone', '2026-03-04 05:06:07.891234+00')).toBe('2026-03-04 05:06:07.891 +00:00');
    expect(fromPg('timestamptz', 'timestamp with time zone', '2026-03-04 05:06:07+08')).toBe('2026-03-03 21:06:07.000 +00:00');
    expect(fromPg('timestamptz', 'timestamp with time zone', '2026-03-04 05:06:07.5-05:30')).toBe('2026-03-04 10:36:07.500 +00:00');
    expect(fromPg('timestamptz', 'timestamp with time zone', '1890-01-01 00:00:00+05:53:28')).toBe('1889-12-31 18:06:32.000 +00:00');
    // A wall time (datetimeNoTz on PostgreSQL) is a DATETIME on SQLite, read as UTC.
    expect(fromPg('timestamptz', 'timestamp without time zone', '2026-05-02 11:30:00')).toBe('2026-05-02 11:30:00.000 +00:00');
    expect(fromPg('timestamptz', 'timestamp with time zone', 'infinity')).toBe('infinity');
    expect(fromPg('timestamptz', 'timestamp with time zone', '0044-03-15 12:00:00+00 BC')).toBe('0044-03-15 12:00:00+00 BC');
  });

  it('turns booleans into 1 and 0, bytea into bytes, arrays into JSON; keeps numbers exact as text', () => {
    expect([fromPg('boolean', 'boolean', 't'), fromPg('boolean', 'boolean', 'f'), fromPg('integer', 'boolean', 't'), fromPg('text', 'text', 't')]).toEqual(['1', '0', '1', 't']);
    expect(fromPg('binary', 'bytea', '\\x00ff07')).toEqual(Buffer.from([0, 255, 7]));
    expect(fromPg('json', 'character varying(255)[]', '{red,"a,b","c\\"d",NULL,"NULL"}')).toBe('["red","a,b","c\\"d",null,"NULL"]');
    expect(fromPg('json', 'integer[]', '{1,2,-3}')).toBe('[1,2,-3]');
    expect(fromPg('json', 'boolean[]', '{t,f}')).toBe('[true,false]');
    expect(fromPg('json', 'text[]', '{}')).toBe('[]');
    // Two dimensions are kept as PostgreSQL wrote them.
    expect(fromPg('json', 'integer[]', '{{1,2},{3,4}}')).toBe('{{1,2},{3,4}}');
    expect(fromPg('integer', 'bigint', '9007199254740993')).toBe('9007199254740993');
    expect(fromPg('json', 'jsonb', '{"a": 1}')).toBe('{"a": 1}');
    expect(fromPg('text', 'text', null)).toBeNull();
  });

  it('reads the declared types Sequelize writes for NocoBase on SQLite', () => {
    expect(['TINYINT(1)', 'BIGINT', 'INTEGER', 'DECIMAL(20,4)', 'DOUBLE PRECISION', 'FLOAT', 'JSON', 'DATETIME', 'DATE', 'TIME', 'BLOB', 'VARCHAR(255)', 'TEXT', 'UUID', ''].map(kindOfSqlite)).toEqual(
      ['boolean', 'integer', 'integer', 'decimal', 'float', 'float', 'json', 'timestamptz', 'date', 'time', 'binary', 'text', 'text', 'text', 'text'],
    );
  });
});

describe("a dump's schema", () => {
  it("reads tables, columns with their types, views, triggers and functions from pg_restore's SQL", () => {
    const r = pgSchemaReader();
    [
      'CREATE TABLE "public"."users" (',
      '    "id" bigint NOT NULL,',
      '    "nick name" character varying(255) DEFAULT \'x\'::character varying,',
      '    "tags" "text"[],',
      '    "at" timestamp with time zone,',
      '    CONSTRAINT "c" CHECK (("id" > 0))',
      ');',
      'CREATE TABLE public.plain (',
      '    a integer',
      ');',
      'CREATE VIEW "public"."v" AS',
      ' SELECT 1;',
      'CREATE TRIGGER "t" BEFORE INSERT ON "public"."users" FOR EACH ROW EXECUTE FUNCTION "public"."f"();',
      'CREATE FUNCTION "public"."f"() RETURNS "trigger"',
    ].forEach((l) => r.line(l));
    expect(r.schema()).toEqual({
      tables: [
        { name: 'plain', columns: ['a'], types: ['integer'], rows: 0 },
        { name: 'users', columns: ['id', 'nick name', 'tags', 'at'], types: ['bigint', 'character varying(255)', 'text[]', 'timestamp with time zone'], rows: 0 },
      ],
      views: ['v'],
      triggers: ['t'],
      functions: ['f'],
    });
  });

  it('moves SQLite into the server dialects and PostgreSQL into SQLite, nothing else', () => {
    expect([canMove('sqlite', 'postgres'), canMove('sqlite', 'mariadb'), canMove('postgres', 'sqlite'), canMove('mariadb', 'sqlite'), canMove('postgres', 'mysql'), canMove('sqlite', 'sqlite')]).toEqual([
      true,
      true,
      true,
      false,
      false,
      false,
    ]);
  });
});
