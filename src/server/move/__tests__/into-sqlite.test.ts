import { kindOfSqlite } from '../column-kinds';
import { makeCopyText } from '../copy-text';
import { canMove } from '../crossing';
import { pgSchemaReader } from '../pg-source-schema';
import { makeMysqlDumpRows } from '../mysql-dump-rows';
import { mysqlSchemaReader } from '../mysql-source-schema';
import { makeSqliteValues } from '../sqlite-values';

// The pure parts of a move out of PostgreSQL into SQLite (move-into-sqlite.ts); copy-into-sqlite.real.test.ts runs
// them on a real dump.

const copy = makeCopyText();
const { fromPg, fromMysql } = makeSqliteValues();

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

  it('moves SQLite into the server dialects and PostgreSQL, MySQL and MariaDB into SQLite, nothing else', () => {
    const pairs: [string, string][] = [['sqlite', 'postgres'], ['sqlite', 'mariadb'], ['postgres', 'sqlite'], ['mariadb', 'sqlite'], ['mysql', 'sqlite'], ['kingbase', 'sqlite'], ['postgres', 'mysql'], ['sqlite', 'sqlite']];
    expect(pairs.map(([a, b]) => canMove(a, b))).toEqual([true, true, true, true, true, false, false, false]);
  });
});

describe('a MySQL/MariaDB dump', () => {
  const dump = makeMysqlDumpRows();
  it("reads the rows of MySQL's one-line INSERTs and MariaDB's tuple-a-line ones, every escape undone", () => {
    expect(dump.start('INSERT INTO `a``b` VALUES (1,\'x\');')).toEqual({ table: 'a`b', rest: "(1,'x');" });
    expect(dump.start('LOCK TABLES `t` WRITE;')).toBeNull();
    expect(dump.tuples("(1,'a\\'b\\\\c\\nd\\0\\Z',NULL,0x00FF07,-1.5e3,''),(2,'it''s',NULL,'',0,'x');")).toEqual({
      rows: [
        ['1', "a'b\\c\nd\u0000\u001a", null, { hex: '00FF07' }, '-1.5e3', ''],
        ['2', "it's", null, '', '0', 'x'],
      ],
      done: true,
    });
    // MariaDB: the statement's first line ends at VALUES, then a tuple a line.
    expect(dump.tuples('')).toEqual({ rows: [], done: false });
    expect(dump.tuples("(1,'tab\there, comma) and paren'),")).toEqual({ rows: [['1', 'tab\there, comma) and paren']], done: false });
    expect(dump.tuples('(2,NULL);')).toEqual({ rows: [['2', null]], done: true });
    expect(() => dump.tuples("(1,'unclosed")).toThrow(/runs past its line/);
  });

  it('turns DATETIMEs of the zone they were written in, and TIMESTAMPs (dumped in UTC), into UTC instants; hex into bytes', () => {
    expect(fromMysql('timestamptz', 'datetime(3)', '2026-03-04 05:06:07.891', '+08:00')).toBe('2026-03-03 21:06:07.891 +00:00');
    expect(fromMysql('timestamptz', 'timestamp(3)', '2026-03-04 05:06:07.891', '+08:00')).toBe('2026-03-04 05:06:07.891 +00:00');
    expect(fromMysql('timestamptz', 'datetime', '0000-00-00 00:00:00', '+00:00')).toBe('0000-00-00 00:00:00');
    expect(fromMysql('binary', 'blob', { hex: '00FF' }, '+00:00')).toEqual(Buffer.from([0, 255]));
    expect(fromMysql('text', 'varbinary(10)', { hex: '6869' }, '+00:00')).toBe('hi');
    expect([fromMysql('boolean', 'tinyint(1)', '1', '+00:00'), fromMysql('integer', 'bigint(20)', '9007199254740993', '+00:00'), fromMysql('json', 'longtext', null, '+00:00')]).toEqual(['1', '9007199254740993', null]);
  });

  it("reads tables, columns with their types, views, triggers and routines from the dump's CREATE statements", () => {
    const r = mysqlSchemaReader();
    [
      'CREATE TABLE `users` (',
      '  `id` bigint(20) NOT NULL AUTO_INCREMENT,',
      "  `meta` longtext CHARACTER SET utf8mb4 COLLATE utf8mb4_bin DEFAULT NULL CHECK (json_valid(`meta`)),",
      '  `at` datetime(3) DEFAULT NULL,',
      '  PRIMARY KEY (`id`)',
      ') ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;',
      "INSERT INTO `users` VALUES (1,'CREATE TABLE `x` (',NULL);",
      '/*!50001 CREATE VIEW `v` AS SELECT',
      '/*!50001 CREATE ALGORITHM=UNDEFINED */ /*!50013 DEFINER=`root`@`%` SQL SECURITY DEFINER */ /*!50001 VIEW `v` AS select 1 */;',
      '/*!50003 CREATE*/ /*!50017 DEFINER=`root`@`127.0.0.1`*/ /*!50003 TRIGGER trg BEFORE INSERT ON Items FOR EACH ROW SET NEW.big = NEW.big',
      'CREATE DEFINER=`root`@`127.0.0.1` FUNCTION `f`() RETURNS int(11)',
    ].forEach((l) => r.line(l));
    expect(r.schema()).toEqual({
      tables: [{ name: 'users', columns: ['id', 'meta', 'at'], types: ['bigint(20)', 'longtext', 'datetime(3)'], rows: 0 }],
      views: ['v'],
      triggers: ['trg'],
      functions: ['f'],
    });
  });
});
