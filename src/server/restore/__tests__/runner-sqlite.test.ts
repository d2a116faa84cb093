// The one restore pipeline on a SQLite app without NocoBase: what it leaves on disk (before and after its clean-up,
// and after a crash between the two), and what it keeps in memory.
import { spawnSync } from 'child_process';
import crypto from 'crypto';
import fs from 'fs';
import os from 'os';
import path from 'path';
import v8 from 'v8';
import vm from 'vm';
import { NAMESPACE } from '../../../constants';
import { readManifest } from '../../archive';
import { createBackup } from '../../engine/backup';
import { backupPaths, ensureDirs } from '../../paths';
import { sqliteExec, sqliteQuery, useAppSqliteModules } from '../../__tests__/sqlite-file';
import { recoverInterrupted } from '../recover';
import { runRestorePipeline } from '../runner';

jest.setTimeout(180_000);

v8.setFlagsFromString('--expose_gc');
const gc: () => void = vm.runInNewContext('gc');

const FILES = 8_000;
let tmp: string;

useAppSqliteModules();
beforeAll(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'bm-runner-sqlite-'));
});
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

const hashOf = (file: string) => crypto.createHash('sha256').update(fs.readFileSync(file)).digest('hex');

function hashTree(dir: string, base = dir, out: Record<string, string> = {}): Record<string, string> {
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) hashTree(p, base, out);
    else out[path.relative(base, p)] = hashOf(p);
  }
  return out;
}

/** A SQLite app's storage folder (database file, uploads in folders of 500) and a backup of it by the engine. */
async function sqliteApp(name: string, titles: string[], files: number) {
  const storage = path.join(tmp, name);
  const paths = backupPaths(storage, 'main');
  await ensureDirs(paths);
  const dbFile = path.join(storage, 'db', 'main.sqlite');
  fs.mkdirSync(path.dirname(dbFile), { recursive: true });
  await sqliteExec(dbFile, `CREATE TABLE items (id INTEGER PRIMARY KEY, title TEXT); INSERT INTO items (title) VALUES ${titles.map((t) => `('${t}')`).join(', ')};`);
  const uploads = path.join(storage, 'uploads');
  for (let i = 0; i < files; i++) {
    const dir = path.join(uploads, `d${Math.floor(i / 500)}`);
    if (i % 500 === 0) fs.mkdirSync(dir, { recursive: true });
    fs.writeFileSync(path.join(dir, `upload-${i}.bin`), `file ${i}`);
  }
  const db = { dialect: 'sqlite' as const, storage: dbFile };
  const backupOf = (fileName: string) =>
    createBackup({
      db,
      app: { name: 'main', version: '2.2.15' },
      plugin: { name: NAMESPACE, version: '0.0.0' },
      storage,
      archivesDir: paths.archives,
      tmpDir: paths.tmp,
      fileName,
      include: { uploads: true, plugins: false },
      excludeTableData: [],
      origin: 'manual',
      requirements: { nocobaseVersion: '2.2.15', underscored: false },
    });
  return { storage, paths, dbFile, db, uploads, backupOf };
}

it('restores rows and every upload, and lets go of the storage entries once they are staged (8,000 files)', async () => {
  const { paths, dbFile, db, uploads, backupOf } = await sqliteApp('storage', ['a', 'b', 'c'], FILES);
  const backup = await backupOf('main_backup.nbbm');
  const rowsBefore = await sqliteQuery(dbFile, 'SELECT id, title FROM items ORDER BY id');
  const filesBefore = hashTree(uploads);

  // After the backup: rows changed, one upload rewritten, one deleted, one added.
  await sqliteExec(dbFile, `DELETE FROM items WHERE id = 1; UPDATE items SET title = 'changed' WHERE id = 2; INSERT INTO items (title) VALUES ('new');`);
  fs.writeFileSync(path.join(uploads, 'd0', 'upload-1.bin'), 'rewritten');
  fs.rmSync(path.join(uploads, 'd1', 'upload-500.bin'));
  fs.writeFileSync(path.join(uploads, 'd0', 'added.bin'), 'added');

  const manifest = await readManifest(backup.filePath);
  expect(manifest.entries.filter((e) => e.path.startsWith('storage/'))).toHaveLength(FILES);
  const staged = new WeakRef(manifest.entries);
  let heldDuringSafety: boolean | null = null;
  let heap = { before: 0, safety: 0 };
  await new Promise((r) => setImmediate(r));
  gc();
  heap.before = process.memoryUsage().heapUsed;

  await runRestorePipeline(
    { id: 'runner-test', taskId: null, file: backup.filePath, manifest, paths, appName: 'main', appVersion: '2.2.15', main: db, targets: [], safetyBackup: true },
    {
      safetyBackup: async () => {
        gc();
        heap = { ...heap, safety: process.memoryUsage().heapUsed };
        heldDuringSafety = staged.deref() !== undefined;
        return (await backupOf('main_safety.nbbm')).filePath;
      },
    },
  );
  // eslint-disable-next-line no-console
  console.log(`heap with the manifest read: ${(heap.before / 1048576).toFixed(1)} MB; during the safety backup: ${(heap.safety / 1048576).toFixed(1)} MB`);
  // The 8,000 storage entries read from the archive are unreachable once staged (the manifest keeps its dump entry).
  expect(heldDuringSafety).toBe(false);
  expect(manifest.entries.map((e) => e.path)).toEqual([manifest.database.dump]);

  expect(await sqliteQuery(dbFile, 'SELECT id, title FROM items ORDER BY id')).toEqual(rowsBefore);
  expect(hashTree(uploads)).toEqual(filesBefore);
  // The safety backup holds the state the restore replaced.
  const safety = await readManifest(path.join(paths.archives, 'main_safety.nbbm'));
  expect(safety.entries.some((e) => e.path === 'storage/uploads/d0/added.bin')).toBe(true);
});

it('answers before it removes what it replaced; a crash in between is cleaned up by the next start, the restore kept', async () => {
  const { storage, paths, dbFile, db, uploads, backupOf } = await sqliteApp('storage-cleanup', ['backed up'], 20);
  const backup = await backupOf('main_cleanup.nbbm');
  const filesAtBackup = hashTree(uploads);
  const journals = path.join(paths.archives, '.journal', 'restore');
  const restore = async (id: string) => {
    await sqliteExec(dbFile, `UPDATE items SET title = 'changed by ${id}'`);
    fs.writeFileSync(path.join(uploads, 'd0', 'upload-0.bin'), `changed by ${id}`);
    const job = { id, taskId: id, file: backup.filePath, manifest: await readManifest(backup.filePath), paths, appName: 'main', appVersion: '2.2.15', main: db, targets: [], safetyBackup: false };
    const done = await runRestorePipeline(job);
    // Answered with the restore in place; the originals still set aside, the journal 'ended' until cleanUp.
    expect(await sqliteQuery(dbFile, 'SELECT title FROM items')).toEqual([{ title: 'backed up' }]);
    expect(hashTree(uploads)).toEqual(filesAtBackup);
    expect(fs.readFileSync(path.join(storage, `uploads.bm-old-${id}`, 'd0', 'upload-0.bin'), 'utf8')).toBe(`changed by ${id}`);
    expect(JSON.parse(fs.readFileSync(path.join(journals, `${id}.state`), 'utf8')).state).toBe('ended');
    return done;
  };
  const debris = () => ({
    aside: fs.readdirSync(storage).filter((n) => n.includes('.bm-old-')),
    tmp: fs.readdirSync(paths.tmp),
    journal: fs.readdirSync(journals),
  });

  // The caller records the success, then cleans up.
  const done = await restore('cleanup-1');
  await done.cleanUp();
  expect(debris()).toEqual({ aside: [], tmp: [], journal: [] });

  // Killed before cleanUp (its owner gone): the next start's recovery removes the rest, keeps the restore, and
  // leaves no outcome (the task row already says succeeded).
  await restore('cleanup-2');
  const file = path.join(journals, 'cleanup-2.state');
  const dead = spawnSync('true').pid as number;
  fs.writeFileSync(file, JSON.stringify({ ...JSON.parse(fs.readFileSync(file, 'utf8')), owner: { pid: dead, start: null } }));
  expect(await recoverInterrupted({ storage, env: {}, cwd: storage })).toEqual([{ id: 'cleanup-2', action: 'discard' }]);
  expect(debris()).toEqual({ aside: [], tmp: [], journal: [] });
  expect(await sqliteQuery(dbFile, 'SELECT title FROM items')).toEqual([{ title: 'backed up' }]);
  expect(hashTree(uploads)).toEqual(filesAtBackup);
});

it('puts every staged file on disk (syncfs) before the first live change', async () => {
  const { paths, dbFile, db, uploads, backupOf } = await sqliteApp('storage-sync', ['backed up'], 600);
  const backup = await backupOf('main_sync.nbbm');
  const filesAtBackup = hashTree(uploads);
  await sqliteExec(dbFile, `UPDATE items SET title = 'changed'`);
  fs.writeFileSync(path.join(uploads, 'd0', 'upload-0.bin'), 'changed');
  // A `sync` first on the PATH the restore's children get: it notes what it was asked and what was true on disk at
  // that instant (the journal's state, the files staged, the app's own upload), then runs the real one.
  const shims = path.join(tmp, 'sync-shim');
  const log = path.join(tmp, 'sync-calls.log');
  const journals = path.join(paths.archives, '.journal', 'restore');
  const realSync = spawnSync('sh', ['-c', 'command -v sync'], { encoding: 'utf8' }).stdout.trim();
  fs.mkdirSync(shims, { recursive: true });
  fs.writeFileSync(
    path.join(shims, 'sync'),
    [
      '#!/bin/sh',
      `{ echo "args $*"; echo "state $(sed -n 's/.*"state":"\\([a-z]*\\)".*/\\1/p' '${journals}/sync-1.state')";`,
      ` echo "staged $(find "$2" -name 'upload-*.bin' | wc -l)"; echo "live $(cat '${uploads}/d0/upload-0.bin')"; } >> '${log}'`,
      `exec '${realSync}' "$@"`,
    ].join('\n'),
    { mode: 0o755 },
  );
  const pathBefore = process.env.PATH;
  process.env.PATH = `${shims}:${pathBefore}`;
  try {
    const job = { id: 'sync-1', taskId: null, file: backup.filePath, manifest: await readManifest(backup.filePath), paths, appName: 'main', appVersion: '2.2.15', main: db, targets: [], safetyBackup: false };
    await (await runRestorePipeline(job)).cleanUp();
  } finally {
    process.env.PATH = pathBefore;
  }
  const staging = path.join(paths.tmp, 'restore-sync-1');
  expect(fs.readFileSync(log, 'utf8').trim().split('\n')).toEqual([`args -f ${staging}`, 'state preparing', 'staged 600', 'live changed']);
  expect(await sqliteQuery(dbFile, 'SELECT title FROM items')).toEqual([{ title: 'backed up' }]);
  expect(hashTree(uploads)).toEqual(filesAtBackup);
});
