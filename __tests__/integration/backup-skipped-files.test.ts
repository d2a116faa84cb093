import { execFileSync } from 'child_process';
import fs from 'fs';
import path from 'path';
import type { MockServer } from '@nocobase/test';
import { readManifest } from '../../src/server/archive';
import { adminAgent, startApp, TASKS, useTempStorage, waitTask } from '../helpers/server';

// A backup that cannot carry some files (symlinks, FIFOs, names with a backslash) still succeeds, but its manifest
// and its task summary say which files and why (issue 15, item 5).
describe('Backup now with files it cannot carry', () => {
  let app: MockServer;
  let storage: string;
  beforeAll(async () => {
    storage = useTempStorage();
    app = await startApp();
  });
  afterAll(async () => {
    await app?.destroy();
  });

  it('records every skipped file with its reason in the manifest and the task summary', async () => {
    const uploads = path.join(storage, 'uploads');
    fs.mkdirSync(path.join(uploads, 'sub'), { recursive: true });
    fs.writeFileSync(path.join(uploads, 'kept.txt'), 'kept');
    fs.symlinkSync('/etc/hostname', path.join(uploads, 'sub', 'link'));
    fs.writeFileSync(path.join(uploads, 'a\\b.txt'), 'backslash');
    execFileSync('mkfifo', [path.join(uploads, 'pipe')]);

    const agent = await adminAgent(app);
    const res = await agent.resource(TASKS).create({ values: { includePlugins: false } });
    expect(res.status).toBe(200);
    const task = await waitTask(app, res.body.data.id);
    expect(task.status).toBe('succeeded');
    const skipped = [
      { path: 'storage/uploads/a\\b.txt', reason: 'unsafe name' },
      { path: 'storage/uploads/pipe', reason: 'not a regular file' },
      { path: 'storage/uploads/sub/link', reason: 'symlink' },
    ];
    const listed = (await agent.resource(TASKS).list()).body.data.find((r: { id: unknown }) => r.id === task.id);
    expect(listed.summary).toMatchObject({ skippedFiles: skipped, skippedFileCount: 3 });
    const manifest = await readManifest(path.join(storage, 'backups-manager', app.name, task.fileName));
    expect(manifest).toMatchObject({ skippedFiles: skipped, skippedFileCount: 3 });
    expect(manifest.entries.map((e) => e.path)).toContain('storage/uploads/kept.txt');
  });
});
