import type { CommandSpec, FileDumper } from './types';

export const sqliteDumper: FileDumper = { kind: 'file', dialect: 'sqlite' };

/** 'empty' runs on a snapshot: it deletes the rows of the tables listed (as JSON) in extra. */
export type SqliteTask = 'snapshot' | 'empty' | 'tables' | 'count' | 'counts' | 'version' | 'schema' | 'columns' | 'value';

/**
 * Runs in a `node -e` child: argv is [module path, task, database file, extra]. A child keeps the native module
 * and any long VACUUM off the server's event loop. Prints JSON on stdout; errors go to stderr with exit code 1.
 */
const SCRIPT = `
const [modulePath, task, file, extra] = process.argv.slice(1);
const sqlite3 = require(modulePath);
const fail = (error) => { process.stderr.write(String((error && error.message) || error) + '\\n'); process.exit(1); };
const quote = (name) => '"' + name.replace(/"/g, '""') + '"';
const open = (path, mode, next) => {
  const db = new sqlite3.Database(path, mode, (error) => {
    if (error) return fail(error);
    db.configure('busyTimeout', 30000);
    next(db);
  });
};
const reply = (db) => (error, value) =>
  error ? fail(error) : db.close((e) => (e ? fail(e) : process.stdout.write(JSON.stringify(value))));
const tasks = {
  version: (db, done) => db.get('SELECT sqlite_version() AS v', (e, row) => done(e, row && row.v)),
  // A consistent copy of a live database, unlike copying the file (and its -wal) by hand.
  snapshot: (db, done) => db.run('VACUUM INTO ?', [extra], (e) => done(e, true)),
  tables: (db, done) => db.all(
    "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite\\\\_%' ESCAPE '\\\\' ORDER BY name",
    (e, rows) => done(e, rows && rows.map((row) => row.name)),
  ),
  // One read-only statement (extra) whose answer is its first row's first column, or null.
  value: (db, done) => db.get(extra, (e, row) => done(e, row ? Object.values(row)[0] : null)),
  count: (db, done) => db.get('SELECT count(*) AS n FROM ' + quote(extra), (e, row) => done(e, row && row.n)),
  // Every table's row count, { name: count }, in this one child (used on snapshots and scratch copies: static files).
  counts: (db, done) => tasks.tables(db, (e, names) => {
    const counts = Object.create(null); // a table may be called __proto__
    const next = (i) => {
      if (i === names.length) return done(null, counts);
      db.get('SELECT count(*) AS n FROM ' + quote(names[i]), (e2, row) => {
        if (e2) return done(e2);
        counts[names[i]] = row.n;
        next(i + 1);
      });
    };
    return e ? done(e) : next(0);
  }),
  // A move's source (move/source-schema.ts): tables with their columns and row counts, views, triggers.
  schema: (db, done) => db.all(
    "SELECT type, name FROM sqlite_master WHERE type IN ('table', 'view', 'trigger') AND name NOT LIKE 'sqlite\\\\_%' ESCAPE '\\\\' ORDER BY name",
    (e, rows) => {
      if (e) return done(e);
      const out = { tables: [], views: [], triggers: [] };
      const tables = rows.filter((r) => r.type === 'table').map((r) => r.name);
      for (const r of rows) if (r.type !== 'table') out[r.type + 's'].push(r.name);
      const next = (i) => {
        if (i === tables.length) return done(null, out);
        db.all('SELECT name FROM pragma_table_info(?)', [tables[i]], (e2, cols) => {
          if (e2) return done(e2);
          db.get('SELECT count(*) AS n FROM ' + quote(tables[i]), (e3, row) => {
            if (e3) return done(e3);
            out.tables.push({ name: tables[i], columns: cols.map((c) => c.name), rows: row.n });
            next(i + 1);
          });
        });
      };
      next(0);
    },
  ),
  // A move's target (move/target-schema.ts): [table, column, declared type] of every table, in column order.
  columns: (db, done) => db.all(
    "SELECT m.name AS t, p.name AS c, p.type AS ty FROM sqlite_master m JOIN pragma_table_info(m.name) p " +
      "WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite\\\\_%' ESCAPE '\\\\' ORDER BY m.name, p.cid",
    (e, rows) => done(e, rows && rows.map((r) => [r.t, r.c, r.ty])),
  ),
  // Only ever run on a snapshot: deletes the rows of the listed tables that exist, then compacts the file.
  empty: (db, done) => db.all("SELECT name FROM sqlite_master WHERE type = 'table'", (e, rows) => {
    if (e) return done(e);
    const existing = new Set(rows.map((row) => row.name));
    const wanted = JSON.parse(extra || '[]').filter((name) => existing.has(name));
    db.exec(wanted.map((name) => 'DELETE FROM ' + quote(name) + ';').join('') + 'VACUUM;', (e2) => done(e2, wanted));
  }),
};
if (!tasks[task]) fail('unknown task ' + task);
const mode = task === 'empty' ? sqlite3.OPEN_READWRITE : sqlite3.OPEN_READONLY;
open(task === 'version' ? ':memory:' : file, mode, (db) => tasks[task](db, reply(db)));
`;

/** A node child doing one SQLite task with the app's own sqlite3 module (modulePath from require.resolve). */
export function sqliteSpec(modulePath: string, task: SqliteTask, file = '', extra = ''): CommandSpec {
  return { command: process.execPath, args: ['-e', SCRIPT, modulePath, task, file, extra], env: {} };
}
