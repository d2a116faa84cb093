// What a restore replaces the database and files with is the bytes it verified and checked, not whatever the archive
// holds by then: the archive sits in the backups folder, where it can be rewritten while the restore runs (an admin,
// a sync job, an attacker with write access there). Issue 16 item 4 asked to feed the dump to the tool straight from
// the archive; this is why the restore keeps its private staged copy (docs/how-it-works.md, "Why the dump is
// staged"). The archive is rewritten IN PLACE (same inode, so an open descriptor would see it) after the checks and
// the safety backup, right before the database is emptied. Real PostgreSQL 15 and MariaDB 10.11 on 127.0.0.1.
import { createHash, randomBytes } from 'crypto';
import fs from 'fs';
import os from 'os';
import path from 'path';
import { NAMESPACE } from '../../../constants';
import { restoreOffline } from '../../cli/offline-restore';
import type { DbConfig } from '../../dumpers/types';
import { createBackup } from '../../engine/backup';
import { backupPaths, ensureDirs } from '../../paths';
import { captureTool } from '../../process/run';

jest.setTimeout(180_000);

const NAME = `bm_hb_checked_${randomBytes(4).toString('hex')}`;
let tmp: string;

const psql = (database: string, sql: string) =>
  captureTool({ command: 'psql', args: ['-X', '-q', '-tA', '-v', 'ON_ERROR_STOP=1', '-h', '127.0.0.1', '-U', 'postgres', '-d', database, '-c', sql], env: {} });
const maria = (sql: string, database: string | null = NAME) =>
  captureTool({ command: 'mariadb', args: ['-h', '127.0.0.1', '-u', 'root', '-N', '-B', '-e', sql, ...(database ? [database] : [])], env: {} });

const cases: { dialect: 'postgres' | 'mariadb'; db: DbConfig; sql: (s: string) => Promise<string>; create: () => Promise<unknown>; drop: () => Promise<unknown> }[] = [
  {
    dialect: 'postgres',
    db: { dialect: 'postgres', host: '127.0.0.1', port: 5432, user: 'postgres', database: NAME },
    sql: (s) => psql(NAME, s),
    create: () => psql('postgres', `CREATE DATABASE ${NAME}`),
    drop: () => psql('postgres', `DROP DATABASE IF EXISTS ${NAME} WITH (FORCE)`),
  },
  {
    dialect: 'mariadb',
    db: { dialect: 'mariadb', host: '127.0.0.1', port: 3306, user: 'root', database: NAME },
    sql: (s) => maria(s),
    create: () => maria(`CREATE DATABASE ${NAME}`, null),
    drop: () => maria(`DROP DATABASE IF EXISTS ${NAME}`, null),
  },
];

beforeAll(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'bm-hb-checked-'));
});

afterAll(async () => {
  for (const c of cases) await c.drop();
  fs.rmSync(tmp, { recursive: true, force: true });
});

const sha = (file: string) => createHash('sha256').update(fs.readFileSync(file)).digest('hex');

describe.each(cases)('$dialect', ({ dialect, db, sql, create, drop }) => {
  const storage = () => path.join(tmp, dialect, 'storage');
  const upload = () => path.join(storage(), 'uploads', 'report.txt');

  async function backUp(label: string): Promise<string> {
    const paths = backupPaths(storage(), 'main');
    await ensureDirs(paths);
    const result = await createBackup({
      db,
      app: { name: 'main', version: '2.2.15' },
      plugin: { name: NAMESPACE, version: '0.0.0' },
      storage: storage(),
      archivesDir: paths.archives,
      tmpDir: path.join(tmp, dialect, `${label}-tmp`),
      fileName: `main_${label}.nbbm`,
      include: { uploads: true, plugins: false },
      excludeTableData: [],
      origin: 'manual',
    });
    return result.filePath;
  }

  it('restores the verified bytes when the archive is rewritten in place after the checks (safety backup on)', async () => {
    await drop();
    await create();
    fs.mkdirSync(path.dirname(upload()), { recursive: true });

    // State A: the backup to restore.
    await sql('CREATE TABLE items (id int PRIMARY KEY, name varchar(20)); INSERT INTO items VALUES (1, \'a\'), (2, \'b\'), (3, \'c\');');
    fs.writeFileSync(upload(), 'quarterly report, version A\n');
    const uploadA = sha(upload());
    const archiveA = await backUp('a');

    // State B: another valid backup of the same app, the bytes the archive will be rewritten with.
    await sql("DELETE FROM items; INSERT INTO items VALUES (7, 'intruder');");
    fs.writeFileSync(upload(), 'quarterly report, version B (rewritten)\n');
    const bytesB = fs.readFileSync(await backUp('b'));

    // Live state before the restore.
    await sql("DELETE FROM items; INSERT INTO items VALUES (42, 'live');");
    fs.writeFileSync(upload(), 'live\n');

    const inode = fs.statSync(archiveA).ino;
    let rewritten = false;
    await restoreOffline({
      file: archiveA,
      db,
      appName: 'main',
      appVersion: '2.2.15',
      paths: backupPaths(storage(), 'main'),
      safetyBackup: true,
      safetyExclude: [],
      pluginVersion: '0.0.0',
      say: () => undefined,
      beforeDatabase: async () => {
        const fh = await fs.promises.open(archiveA, 'r+');
        try {
          await fh.write(bytesB, 0, bytesB.length, 0);
          await fh.truncate(bytesB.length);
        } finally {
          await fh.close();
        }
        rewritten = true;
      },
    });

    expect(rewritten).toBe(true);
    expect(fs.statSync(archiveA).ino).toBe(inode);
    expect(fs.readFileSync(archiveA).equals(bytesB)).toBe(true);
    // The rows and the file are A's: what was verified, not what the archive holds now.
    expect((await sql('SELECT id, name FROM items ORDER BY id')).trim().split('\n')).toEqual(['1|a', '2|b', '3|c'].map((r) => (dialect === 'postgres' ? r : r.replace('|', '\t'))));
    expect(sha(upload())).toBe(uploadA);
  });
});
