// A SQLite database is replaced by a copy that is on disk before it takes the database's name: after a power cut the
// app finds the old file or the new one, whole. The fsync cannot be seen from outside, so the test watches the call
// (the real one runs) and what was on disk at that instant.
import crypto from 'crypto';
import fs from 'fs';
import os from 'os';
import path from 'path';
import { sqliteExec, sqliteQuery, useAppSqliteModules } from '../../__tests__/sqlite-file';
import { restoreDump } from '../restore';

let tmp: string;
useAppSqliteModules();
beforeAll(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'bm-restore-sqlite-durable-'));
});
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

const hashOf = (file: string) => crypto.createHash('sha256').update(fs.readFileSync(file)).digest('hex');

it('fsyncs the incoming copy while the database still holds the old rows, then renames it into place', async () => {
  const live = path.join(tmp, 'main.sqlite');
  const dump = path.join(tmp, 'staged.sqlite');
  await sqliteExec(live, `CREATE TABLE items (title TEXT); INSERT INTO items VALUES ('live');`);
  await sqliteExec(dump, `CREATE TABLE items (title TEXT); INSERT INTO items VALUES ('backed up');`);
  const liveBefore = hashOf(live);
  const dumpHash = hashOf(dump);

  // Every FileHandle.sync() (fsync), with the path its descriptor names and what was on disk at that instant.
  const seen: { file: string; incoming: string | null; live: string }[] = []; // incoming: null for a folder
  const probe = await fs.promises.open(live, 'r');
  const proto = Object.getPrototypeOf(probe) as { sync: () => Promise<void> };
  await probe.close();
  const realSync = proto.sync;
  const sync = jest.spyOn(proto, 'sync').mockImplementation(async function (this: { fd: number }) {
    const file = fs.readlinkSync(`/proc/self/fd/${this.fd}`);
    seen.push({ file, incoming: fs.statSync(file).isFile() ? hashOf(file) : null, live: hashOf(live) });
    return realSync.call(this);
  });
  try {
    await restoreDump({ dialect: 'sqlite', storage: live }, dump, path.join(tmp, 'work'), undefined, { checked: true });
  } finally {
    sync.mockRestore();
  }

  // The copy, then the folder once it holds the new name.
  expect(seen).toEqual([
    { file: `${live}.bm-incoming`, incoming: dumpHash, live: liveBefore },
    { file: tmp, incoming: null, live: dumpHash },
  ]);
  expect(hashOf(live)).toBe(dumpHash);
  expect(fs.existsSync(`${live}.bm-incoming`)).toBe(false);
  expect(await sqliteQuery(live, 'SELECT title FROM items')).toEqual([{ title: 'backed up' }]);
});
