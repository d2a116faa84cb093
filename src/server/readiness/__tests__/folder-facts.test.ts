import fs from 'fs';
import os from 'os';
import path from 'path';
import { diskFact, writeFact } from '../folder-facts';
import { toolFact } from '../tool-fact';

let tmp: string;
beforeEach(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'bm-ready-'));
});
afterEach(() => {
  fs.chmodSync(tmp, 0o700);
  fs.rmSync(tmp, { recursive: true, force: true });
});

describe('readiness facts on a real filesystem', () => {
  it('write access: the folder is made, the probe created and removed', async () => {
    const folder = path.join(tmp, 'backups-manager', 'main');
    expect(await writeFact(folder)).toEqual({ ok: true, where: folder });
    expect(fs.readdirSync(folder)).toEqual([]);
  });

  it('write access refused: not ok, with the reason', async () => {
    const folder = path.join(tmp, 'ro');
    fs.mkdirSync(folder);
    // A plain file where the folder should be: refused for every user, root included.
    fs.writeFileSync(path.join(folder, 'main'), 'x');
    const fact = await writeFact(path.join(folder, 'main'));
    expect(fact.ok).toBe(false);
    expect(fact.detail).toMatch(/EEXIST|ENOTDIR/);
  });

  it('disk: the last backup size when known, else the database file and storage folders', async () => {
    const storage = path.join(tmp, 'storage');
    fs.mkdirSync(path.join(storage, 'uploads'), { recursive: true });
    fs.writeFileSync(path.join(storage, 'uploads', 'a.bin'), Buffer.alloc(3000));
    fs.writeFileSync(path.join(tmp, 'db.sqlite'), Buffer.alloc(5000));
    const db = { dialect: 'sqlite' as const, storage: path.join(tmp, 'db.sqlite') };
    const last = await diskFact(path.join(storage, 'backups-manager', 'main'), { lastBackupBytes: 1234, db, storage });
    expect(last).toMatchObject({ needed: 1234, basis: 'last-backup' });
    expect(last?.free).toBeGreaterThan(0);
    const sizes = await diskFact(path.join(storage, 'backups-manager', 'main'), { lastBackupBytes: null, db, storage });
    expect(sizes).toMatchObject({ needed: 8000, basis: 'sizes' });
  });

  it('tool: SQLite needs none; a tool not installed here is missing (KingbaseES sys_dump)', async () => {
    expect(await toolFact({ dialect: 'sqlite', storage: path.join(tmp, 'x.sqlite') }, tmp)).toEqual({ state: 'none' });
    expect(await toolFact({ dialect: 'kingbase', host: '127.0.0.1', database: 'x' }, tmp)).toEqual({ state: 'missing', tool: 'sys_dump' });
  });
});
