// A backup with thousands of files to pack and no dump tool: it fails with the tool's own message (what the admin
// must install) before anything is packed, and leaves nothing behind. A dump that fails while the files are packed
// stops the packing then, not once every file is in (real PostgreSQL on 127.0.0.1 for the tool check).
import fs from 'fs';
import os from 'os';
import path from 'path';
import { NAMESPACE } from '../../../constants';
import type { Phase } from '../../../constants';
import type { DbConfig } from '../../dumpers/types';
import { createBackup } from '../backup';

jest.setTimeout(60_000);

let tmp: string;
beforeAll(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'bm-backup-tools-'));
});
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

/** `count` files of `size` bytes under uploads/, in `folders` folders. */
function storageOf(name: string, count: number, size: number, folders: number): string {
  const storage = path.join(tmp, name);
  for (let i = 0; i < count; i++) {
    const dir = path.join(storage, 'uploads', `d${i % folders}`);
    if (i < folders) fs.mkdirSync(dir, { recursive: true });
    fs.writeFileSync(path.join(dir, `f${i}.bin`), Buffer.alloc(size, i));
  }
  return storage;
}

/** The failed backup's error, and what it left in its archives and temporary folders (nothing, it must be). */
async function failedBackup(name: string, db: DbConfig, dump: string, onProgress: (phase: Phase, percent: number) => void) {
  const archivesDir = path.join(tmp, `archives-${name}`);
  const tmpDir = path.join(tmp, `tmp-${name}`);
  const err = await createBackup({
    db,
    app: { name: 'main', version: '2.2.15' },
    plugin: { name: NAMESPACE, version: '0.0.0' },
    storage: path.join(tmp, name),
    archivesDir,
    tmpDir,
    fileName: `${name}.nbbm`,
    include: { uploads: true, plugins: false },
    excludeTableData: [],
    origin: 'manual',
    tools: { dump },
    requirements: { nocobaseVersion: '2.2.15', underscored: false },
    onProgress,
  }).then(
    () => null,
    (e) => e,
  );
  const list = (dir: string) => (fs.existsSync(dir) ? fs.readdirSync(dir).filter((f) => !f.startsWith('.')) : []);
  return { err, left: [...list(archivesDir), ...list(tmpDir)] };
}

it('a missing dump tool fails the backup with TOOL_MISSING before any file is packed; no archive, no partial file', async () => {
  storageOf('few', 3000, 4096, 10);
  const phases: string[] = [];
  const missing = '/nonexistent/bm-tools/pg_dump';
  // Nothing listens on port 1: the server question fails too; the missing tool is what the admin must be told.
  const db: DbConfig = { dialect: 'postgres', host: '127.0.0.1', port: 1, user: 'postgres', password: 'x', database: 'none' };
  const { err, left } = await failedBackup('few', db, missing, (phase) => phases.push(phase));
  expect(err).toMatchObject({ name: 'BackupError', code: 'TOOL_MISSING', params: { tool: missing } });
  expect(phases).toEqual(['checking']);
  expect(left).toEqual([]);
});

it('a dump that fails while files are packed stops the packing at once: TOOL_FAILED with its message, nothing left', async () => {
  storageOf('many', 30000, 1024, 30);
  // The real pg_dump answers the version (the check passes); the dump itself fails at once. (psql is looked for
  // beside it.)
  const tools = path.join(tmp, 'tools');
  fs.mkdirSync(tools);
  const tool = path.join(tools, 'pg_dump');
  fs.writeFileSync(tool, '#!/bin/sh\nif [ "$1" = "--version" ]; then exec pg_dump --version; fi\necho "bm test: the dump failed" >&2\nexit 3\n', { mode: 0o755 });
  fs.writeFileSync(path.join(tools, 'psql'), '#!/bin/sh\nexec psql "$@"\n', { mode: 0o755 });
  const packed: number[] = [];
  const db: DbConfig = { dialect: 'postgres', host: '127.0.0.1', port: 5432, user: 'postgres', database: 'postgres' };
  const { err, left } = await failedBackup('many', db, tool, (phase, percent) => phase === 'packing files' && packed.push(percent));
  expect(err).toMatchObject({ code: 'TOOL_FAILED' });
  expect(JSON.stringify(err.params)).toContain('bm test: the dump failed');
  // Files take 2-62 % of the bar: packing all 30,000 would have reached 62 before the error was thrown.
  expect(Math.max(0, ...packed)).toBeLessThan(40);
  expect(left).toEqual([]);
});
