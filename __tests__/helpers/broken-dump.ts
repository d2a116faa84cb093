import { spawnSync } from 'child_process';
import fs from 'fs';
import os from 'os';
import path from 'path';

/**
 * A dump that passes every check made before a restore changes anything (PostgreSQL: `pg_restore -l` reads its
 * table of contents; MySQL family: the dump's header and trailer are there, its statements are allowed; SQLite: the
 * file starts like a database) but makes the restore fail once it has started replacing data: PostgreSQL's custom
 * format cut in its data section, a failing statement between two tables, a SQLite file cut in half.
 */
export function brokenMidway(dialect: string, dump: Buffer): Buffer {
  if (dialect === 'postgres') {
    const broken = dump.subarray(0, Math.floor(dump.length * 0.6));
    const probe = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'bm-probe-')), 'probe.dump');
    fs.writeFileSync(probe, broken);
    const toc = spawnSync('pg_restore', ['-l', probe], { encoding: 'utf8' });
    fs.rmSync(path.dirname(probe), { recursive: true, force: true });
    if (toc.status !== 0) throw new Error(`the cut dump no longer lists: ${toc.stderr}`);
    return broken;
  }
  if (dialect === 'sqlite') return dump.subarray(0, Math.floor(dump.length / 2));
  const text = dump.toString('utf8');
  const drops = [...text.matchAll(/^DROP TABLE IF EXISTS .*$/gm)].map((m) => m.index as number);
  if (drops.length < 2) throw new Error('the dump has fewer than two tables');
  const at = drops[Math.floor(drops.length / 2)];
  return Buffer.from(`${text.slice(0, at)}SELECT bm_injected_failure FROM bm_no_such_table;\n${text.slice(at)}`, 'utf8');
}

/**
 * A PostgreSQL custom-format dump of `schema` that lists fine (`pg_restore -l`) but whose restore fails on its first
 * table: the table's column type lives in another schema, which the restore target lacks. Made in a scratch database.
 */
export function pgDumpFailingOnRestore(schema: string, conn: { host: string; user: string }): Buffer {
  const db = `bm_broken_${process.pid}_${Date.now()}`;
  const q = (id: string) => `"${id.replace(/"/g, '""')}"`;
  const run = (cmd: string, args: string[]) => {
    const r = spawnSync(cmd, ['-h', conn.host, '-U', conn.user, ...args], { maxBuffer: 64 << 20 });
    if (r.status !== 0) throw new Error(`${cmd} failed: ${r.stderr}`);
    return r.stdout as Buffer;
  };
  run('createdb', [db]);
  try {
    const sql = `CREATE SCHEMA bm_elsewhere; CREATE TYPE bm_elsewhere.mood AS ENUM ('ok'); CREATE SCHEMA ${q(schema)};
      CREATE TABLE ${q(schema)}.bm_items (id int PRIMARY KEY, m bm_elsewhere.mood); INSERT INTO ${q(schema)}.bm_items VALUES (1, 'ok');`;
    run('psql', ['-d', db, '-v', 'ON_ERROR_STOP=1', '-qc', sql]);
    return run('pg_dump', ['-Fc', '-n', schema, db]);
  } finally {
    spawnSync('dropdb', ['-h', conn.host, '-U', conn.user, '--if-exists', db]);
  }
}
