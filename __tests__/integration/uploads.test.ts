import { execFileSync } from 'child_process';
import fs from 'fs';
import path from 'path';
import type { MockServer } from '@nocobase/test';
import { getService } from '../../src/server/service';
import { adminAgent, startApp, TASKS, useTempStorage, waitTask } from '../helpers/server';

// Uploaded archives: one at a time, refused when the disk cannot hold them, and removed once their restore is refused
// (issue 15, item 10); upload-restore.test.ts checks that a finished restore removes its upload.
describe('uploads', () => {
  let app: MockServer;
  let agent: Awaited<ReturnType<typeof adminAgent>>;
  let apiPrefix: string;
  let plain: Buffer;
  let encrypted: Buffer;

  const uploads = () => getService(app).paths.uploads;
  const upload = (body: Buffer) =>
    agent.post(`${apiPrefix}/${TASKS}:upload`).set('Content-Type', 'application/octet-stream').send(body);

  /** Ends a request whose body was written piece by piece. */
  const finish = (req: ReturnType<typeof upload>) =>
    new Promise<{ status: number; body: any }>((resolve, reject) => req.end((err, res) => (res ? resolve(res) : reject(err))));

  async function backupBytes(password?: string): Promise<Buffer> {
    let req = agent.post(`${apiPrefix}/${TASKS}:create`);
    if (password) req = req.set('X-Backups-Manager-Password', password);
    const res = await req.send({ includeUploads: false, includePlugins: false });
    expect(res.status).toBe(200);
    const task = await waitTask(app, res.body.data.id);
    expect(task.status).toBe('succeeded');
    return fs.readFileSync(path.join(getService(app).paths.archives, task.fileName));
  }

  beforeAll(async () => {
    useTempStorage();
    app = await startApp();
    agent = await adminAgent(app);
    apiPrefix = (app.resourcer.options as { prefix?: string }).prefix || '';
    plain = await backupBytes();
    encrypted = await backupBytes('upload-secret');
  });
  afterAll(async () => {
    await app?.destroy();
  });

  it('a second upload while one is being received: 409 UPLOAD_BUSY; the first completes', async () => {
    const first = agent
      .post(`${apiPrefix}/${TASKS}:upload`)
      .set('Content-Type', 'application/octet-stream')
      .set('Content-Length', String(plain.length));
    first.write(plain.subarray(0, 1000));
    // The first upload's partial file shows that the server is receiving it.
    for (let i = 0; i < 100 && !fs.readdirSync(uploads()).some((f) => f.endsWith('.partial')); i++) {
      await new Promise((r) => setTimeout(r, 50));
    }
    let second: Awaited<ReturnType<typeof upload>>;
    try {
      second = await upload(plain);
    } finally {
      first.write(plain.subarray(1000));
    }
    const res = await finish(first);
    expect(second.status).toBe(409);
    expect(second.body.errors[0].code).toBe('UPLOAD_BUSY');
    expect(res.status).toBe(200);
    expect(res.body.data.uploadId).toMatch(/^[a-f0-9]{32}$/);
    // Not left waiting: the next upload is accepted.
    const third = await upload(plain);
    expect(third.status).toBe(200);
    for (const f of fs.readdirSync(uploads())) fs.rmSync(path.join(uploads(), f));
  });

  it('an upload whose restore is refused (wrong password) is removed', async () => {
    const up = await upload(encrypted);
    expect(up.status).toBe(200);
    expect(fs.readdirSync(uploads())).toEqual([`${up.body.data.uploadId}.nbbm`]);
    const r = await agent
      .post(`${apiPrefix}/${TASKS}:restore`)
      .set('X-Backups-Manager-Password', 'not-the-password')
      .send({ uploadId: up.body.data.uploadId });
    expect(r.status).toBe(422);
    expect(r.body.errors[0].code).toBe('PASSWORD_WRONG');
    expect(fs.readdirSync(uploads())).toEqual([]);
  });

  it('an upload larger than the free space: 507 NOT_ENOUGH_SPACE, before or while writing, nothing left', async () => {
    if (process.getuid?.() !== 0) return; // needs mount: a real 1 MiB filesystem under the uploads folder
    const big = Buffer.concat([plain, Buffer.alloc(2 * 1024 * 1024 - plain.length, 1)]);
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=1m', 'tmpfs', uploads()]);
    try {
      // Content-Length known: refused before the body is read.
      const declared = await upload(big);
      expect(declared.status).toBe(507);
      expect(declared.body.errors[0].code).toBe('NOT_ENOUGH_SPACE');
      expect(declared.body.errors[0].message).toMatch(/free/);
      // No Content-Length (chunked): the disk fills up during the write.
      const chunked = agent.post(`${apiPrefix}/${TASKS}:upload`).set('Content-Type', 'application/octet-stream');
      for (let i = 0; i < big.length; i += 256 * 1024) chunked.write(big.subarray(i, i + 256 * 1024));
      const res = await finish(chunked);
      expect(res.status).toBe(507);
      expect(res.body.errors[0].code).toBe('NOT_ENOUGH_SPACE');
      expect(fs.readdirSync(uploads())).toEqual([]);
    } finally {
      execFileSync('umount', [uploads()]);
    }
  });
});
