// A backup with thousands of files to pack and no dump tool: it fails with the tool's own message (what the admin
// must install) before anything is packed, and leaves nothing behind.
import fs from 'fs';
import os from 'os';
import path from 'path';
import { NAMESPACE } from '../../../constants';
import { createBackup } from '../backup';

jest.setTimeout(60_000);

let tmp: string;
beforeAll(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'bm-backup-tools-'));
});
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

it('a missing dump tool fails the backup with TOOL_MISSING before any file is packed; no archive, no partial file', async () => {
  const storage = path.join(tmp, 'storage');
  for (let i = 0; i < 3000; i++) {
    const dir = path.join(storage, 'uploads', `d${i % 10}`);
    if (i < 10) fs.mkdirSync(dir, { recursive: true });
    fs.writeFileSync(path.join(dir, `f${i}.bin`), Buffer.alloc(4096, i));
  }
  const archivesDir = path.join(tmp, 'archives');
  const tmpDir = path.join(tmp, 'tmp');
  const phases: string[] = [];
  const missing = '/nonexistent/bm-tools/pg_dump';
  const err = await createBackup({
    // Nothing listens on port 1: the server question fails too; the missing tool is what the admin must be told.
    db: { dialect: 'postgres', host: '127.0.0.1', port: 1, user: 'postgres', password: 'x', database: 'none' },
    app: { name: 'main', version: '2.2.15' },
    plugin: { name: NAMESPACE, version: '0.0.0' },
    storage,
    archivesDir,
    tmpDir,
    fileName: 'tools.nbbm',
    include: { uploads: true, plugins: false },
    excludeTableData: [],
    origin: 'manual',
    tools: { dump: missing },
    requirements: { nocobaseVersion: '2.2.15', underscored: false },
    onProgress: (phase) => phases.push(phase),
  }).then(
    () => null,
    (e) => e,
  );
  expect(err).toMatchObject({ name: 'BackupError', code: 'TOOL_MISSING', params: { tool: missing } });
  expect(phases).toEqual(['checking']);
  const list = (dir: string) => (fs.existsSync(dir) ? fs.readdirSync(dir).filter((f) => !f.startsWith('.')) : []);
  expect(list(archivesDir)).toEqual([]);
  expect(list(tmpDir)).toEqual([]);
});
