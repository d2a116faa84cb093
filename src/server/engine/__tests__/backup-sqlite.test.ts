// A backup of a SQLite app records the SQLite library's real version, read with the app's own sqlite3 module.
import fs from 'fs';
import os from 'os';
import path from 'path';
import { NAMESPACE } from '../../../constants';
import { sqliteVersion } from '../../dumpers/sqlite-snapshot';
import { sqliteModulePath as modulePath, useAppSqliteModules } from '../../__tests__/sqlite-file';
import { captureTool } from '../../process/run';
import { createBackup } from '../backup';

jest.setTimeout(60_000);

let tmp: string;

useAppSqliteModules();
beforeAll(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'bm-backup-sqlite-'));
});
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

it('records the SQLite version in the manifest and its requirements', async () => {
  const file = path.join(tmp, 'main.sqlite');
  await captureTool({
    command: process.execPath,
    args: [
      '-e',
      'const s = require(process.argv[1]); const db = new s.Database(process.argv[2]); db.exec("CREATE TABLE items (id INTEGER); INSERT INTO items VALUES (1), (2);", (e) => { if (e) process.exitCode = 1; db.close(); });',
      modulePath,
      file,
    ],
    env: {},
  });
  const storage = path.join(tmp, 'storage');
  fs.mkdirSync(storage);
  const result = await createBackup({
    db: { dialect: 'sqlite', storage: file },
    app: { name: 'main', version: '2.2.15' },
    plugin: { name: NAMESPACE, version: '0.0.0' },
    storage,
    archivesDir: path.join(tmp, 'archives'),
    tmpDir: path.join(tmp, 'tmp'),
    fileName: 'a.nbbm',
    include: { uploads: false, plugins: false },
    excludeTableData: [],
    origin: 'manual',
    requirements: { nocobaseVersion: '2.2.15', underscored: false },
  });
  const version = await sqliteVersion({ modulePath });
  expect(version).toMatch(/^3\.\d+\.\d+/);
  expect(result.manifest.database.serverVersion).toBe(version);
  expect(result.manifest.requirements?.db.serverVersion).toBe(version);
  expect(result.manifest.database.tables).toEqual({ items: 2 });
});

it('stops with DISK_FULL when the storage is larger than the free space, leaving no archive and no partial file', async () => {
  const file = path.join(tmp, 'full.sqlite');
  fs.writeFileSync(file, '');
  const storage = path.join(tmp, 'storage-full');
  // Enough files that packing is under way when the size is known (it is measured while files are packed).
  for (let i = 0; i < 3000; i++) {
    const dir = path.join(storage, 'uploads', `d${i % 10}`);
    if (i < 10) fs.mkdirSync(dir, { recursive: true });
    fs.writeFileSync(path.join(dir, `f${i}.bin`), Buffer.alloc(4096, i));
  }
  // The filesystem says 1 MiB is free (the storage holds 12 MB).
  const statfs = fs.promises.statfs;
  const free = jest
    .spyOn(fs.promises, 'statfs')
    .mockImplementation(async (p: fs.PathLike) => ({ ...(await statfs(p)), bavail: 256, bsize: 4096 }) as never);
  const archivesDir = path.join(tmp, 'archives-full');
  const tmpDir = path.join(tmp, 'tmp-full');
  try {
    const err = await createBackup({
      db: { dialect: 'sqlite', storage: file },
      app: { name: 'main', version: '2.2.15' },
      plugin: { name: NAMESPACE, version: '0.0.0' },
      storage,
      archivesDir,
      tmpDir,
      fileName: 'full.nbbm',
      include: { uploads: true, plugins: false },
      excludeTableData: [],
      origin: 'manual',
    }).then(
      () => null,
      (e) => e,
    );
    expect(err).toMatchObject({ code: 'DISK_FULL' });
    expect(free).toHaveBeenCalled();
  } finally {
    free.mockRestore();
  }
  expect(fs.readdirSync(archivesDir)).toEqual([]);
  expect(fs.readdirSync(tmpDir).filter((f) => !f.startsWith('.'))).toEqual([]);
});
