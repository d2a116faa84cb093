import crypto from 'crypto';
import fs from 'fs';
import http from 'http';
import path from 'path';
import type { MockServer } from '@nocobase/test';
import { SETTINGS, SETTINGS_ROW_ID } from '../../src/constants';
import { readManifest } from '../../src/server/archive';
import { linkKey, newClaims, signLink } from '../../src/server/download/link-token';
import { adminAgent, startApp, TASKS, useTempStorage, waitTask } from '../helpers/server';

// The password header holds encodeURIComponent(password). A value that is not (a raw '%41', a raw '@') is refused
// with a 400 before anything happens, instead of encrypting with another password than the one typed.
let app: MockServer;
let storage: string;
let agent: Awaited<ReturnType<typeof adminAgent>>;
beforeAll(async () => {
  storage = useTempStorage();
  app = await startApp();
  agent = await adminAgent(app);
});
afterAll(async () => {
  await app?.destroy();
});
const prefix = () => (app.resourceManager.options as { prefix?: string }).prefix || '';

describe('the password header through the API', () => {
  const HEADER = 'X-Backups-Manager-Password';
  const post = (url: string, header: string, body: Record<string, unknown> = {}) =>
    agent.post(`${prefix()}/${url}`).set(HEADER, header).send(body);

  it('refuses a value that is not encodeURIComponent output, and creates nothing', async () => {
    for (const raw of ['%41', 'p@ss', '%c3%a9']) {
      const res = await post(`${TASKS}:create`, raw, { includeUploads: false, includePlugins: false });
      expect([res.status, res.body.errors?.[0]?.code]).toEqual([400, 'PASSWORD_HEADER_INVALID']);
    }
    expect(await app.db.getRepository(TASKS).count()).toBe(0);
    const res = await post(`${SETTINGS}:update?filterByTk=${SETTINGS_ROW_ID}`, '%41', { enabled: false });
    expect([res.status, res.body.errors?.[0]?.code]).toEqual([400, 'PASSWORD_HEADER_INVALID']);
    expect((await agent.resource(SETTINGS).get()).body.data.hasPassword).toBe(false);
  });

  it('encrypts with exactly the password our client encodes, % signs included', async () => {
    const password = '100%A-%41';
    const res = await post(`${TASKS}:create`, encodeURIComponent(password), { includeUploads: false, includePlugins: false });
    expect(res.status).toBe(200);
    const task = await waitTask(app, res.body.data.id);
    expect(task.status).toBe('succeeded');
    const file = path.join(storage, 'backups-manager', app.name, task.fileName);
    await expect(readManifest(file, { password })).resolves.toMatchObject({ origin: 'manual' });
    await expect(readManifest(file, { password: '100A-A' })).rejects.toMatchObject({ code: 'PASSWORD_WRONG' });
  });
});

// Downloads that survive (issue 19): range requests on the admin's download and on a signed link, which the browser
// opens without a session. Here, in a file that already starts an app with backups, to spare CI another app start;
// nothing here depends on the database: scripts/test.js runs this file in the PostgreSQL pass only.
describe('downloads: ranges and signed links', () => {
  let server: http.Server;
  let base: string;
  let task: Record<string, any>;
  let other: Record<string, any>;
  let file: string;
  let whole: Buffer;

  const binary = (res: any, cb: (err: Error | null, body: Buffer) => void) => {
    const chunks: Buffer[] = [];
    res.on('data', (c: Buffer) => chunks.push(c));
    res.on('end', () => cb(null, Buffer.concat(chunks)));
  };
  const download = (headers: Record<string, string> = {}) => {
    let req = agent.get(`${prefix()}/${TASKS}:download?filterByTk=${task.id}`);
    for (const [k, v] of Object.entries(headers)) req = req.set(k, v);
    return req.buffer(true).parse(binary);
  };
  const issue = async (id = task.id) => {
    const res = await agent.post(`${prefix()}/${TASKS}:downloadLink?filterByTk=${id}`);
    expect(res.status).toBe(200);
    return `${base}/${res.body.data.url}`;
  };
  /** A plain GET on loopback, no session: what a browser or download manager sends. */
  const get = (url: string, headers: Record<string, string> = {}, stopAfter = Infinity) =>
    new Promise<{ status: number; headers: http.IncomingHttpHeaders; body: Buffer }>((resolve, reject) => {
      const req = http.get(url, { headers }, (res) => {
        const chunks: Buffer[] = [];
        let got = 0;
        res.on('data', (c: Buffer) => {
          const room = stopAfter - got;
          chunks.push(room < c.length ? c.subarray(0, room) : c);
          got += Math.min(room, c.length);
          // The connection cut in the middle: the client keeps what it has.
          if (got >= stopAfter) {
            req.destroy();
            resolve({ status: res.statusCode!, headers: res.headers, body: Buffer.concat(chunks) });
          }
        });
        res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body: Buffer.concat(chunks) }));
      });
      req.on('error', (err) => (stopAfter === Infinity ? reject(err) : undefined));
    });
  const sha = (b: Buffer) => crypto.createHash('sha256').update(b).digest('hex');
  const makeBackup = async () => {
    const res = await agent.post(`${prefix()}/${TASKS}:create`).send({ includeUploads: false, includePlugins: false });
    return waitTask(app, res.body.data.id);
  };

  beforeAll(async () => {
    task = await makeBackup();
    other = await makeBackup();
    expect([task.status, other.status]).toEqual(['succeeded', 'succeeded']);
    file = path.join(storage, 'backups-manager', app.name, task.fileName);
    whole = fs.readFileSync(file);
    server = http.createServer(app.callback());
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    base = `http://127.0.0.1:${(server.address() as { port: number }).port}${prefix()}`;
  });
  afterAll(async () => {
    if (server) await new Promise((r) => server.close(r));
  });

  it('answers one range with 206 and its exact bytes; the parts hash to the archive', async () => {
    const size = whole.length;
    const full = await download();
    expect([full.status, full.headers['accept-ranges'], Number(full.headers['content-length'])]).toEqual([200, 'bytes', size]);
    const etag = full.headers.etag;
    expect(etag).toMatch(/^"\d+-[0-9a-f]+-[0-9a-f]+"$/);
    const cut = Math.floor(size / 3);
    const parts = [await download({ Range: `bytes=0-${cut - 1}` }), await download({ Range: `bytes=${cut}-${2 * cut - 1}` }), await download({ Range: `bytes=${2 * cut}-` })];
    expect(parts.map((p) => p.status)).toEqual([206, 206, 206]);
    expect(parts[1].headers['content-range']).toBe(`bytes ${cut}-${2 * cut - 1}/${size}`);
    expect(sha(Buffer.concat(parts.map((p) => p.body)))).toBe(sha(whole));
    const tail = await download({ Range: 'bytes=-10' });
    expect([tail.status, tail.headers['content-range']]).toEqual([206, `bytes ${size - 10}-${size - 1}/${size}`]);
    expect(tail.body.equals(whole.subarray(size - 10))).toBe(true);

    const beyond = await download({ Range: `bytes=${size}-` });
    expect([beyond.status, beyond.headers['content-range']]).toEqual([416, `bytes */${size}`]);
    // Several ranges: the whole file (documented).
    const several = await download({ Range: 'bytes=0-1,5-6' });
    expect([several.status, several.body.length]).toEqual([200, size]);
    // If-Range with the current ETag keeps the range; another (the file was replaced) gets the whole file.
    expect((await download({ Range: 'bytes=0-9', 'If-Range': etag })).status).toBe(206);
    const replaced = await download({ Range: 'bytes=0-9', 'If-Range': '"1-2-3"' });
    expect([replaced.status, sha(replaced.body)]).toEqual([200, sha(whole)]);
  });

  it('a signed link works without a session, cut at half and resumed by range: the archive SHA-256', async () => {
    const url = await issue();
    expect(url).not.toContain(process.env.APP_KEY);
    const sig = new URL(url).searchParams.get('sig')!;
    // NocoBase's request log (every URL, at info level) never sees the signature.
    const logger = (app as unknown as { requestLogger: { level: string; on: Function; off: Function } }).requestLogger;
    const logged: string[] = [];
    const onLog = (entry: unknown) => logged.push(JSON.stringify(entry));
    const level = logger.level;
    logger.level = 'info';
    logger.on('data', onLog);
    const half = Math.floor(whole.length / 2);
    const first = await get(url, {}, half).finally(() => {
      logger.off('data', onLog);
      logger.level = level;
    });
    expect(logged.join('\n')).toContain(`${TASKS}:signedDownload?filterByTk=${task.id}`);
    expect(logged.join('\n')).not.toContain(sig);
    expect([first.status, first.body.length]).toEqual([200, half]);
    const rest = await get(url, { Range: `bytes=${half}-`, 'If-Range': String(first.headers.etag) });
    expect([rest.status, rest.headers['content-range']]).toEqual([206, `bytes ${half}-${whole.length - 1}/${whole.length}`]);
    expect(sha(Buffer.concat([first.body, rest.body]))).toBe(sha(whole));
  });

  it('refuses an expired, forged or other-task link with a clear message, and only admins issue links', async () => {
    const url = new URL(await issue());
    const errorOf = async (u: URL) => {
      const res = await get(u.toString());
      return [res.status, JSON.parse(res.body.toString()).errors?.[0]?.code];
    };
    const forged = new URL(url);
    forged.searchParams.set('sig', `${url.searchParams.get('sig')!.slice(0, -2)}AA`);
    expect(await errorOf(forged)).toEqual([403, 'DOWNLOAD_LINK_INVALID']);
    const otherTask = new URL(url);
    otherTask.searchParams.set('filterByTk', String(other.id));
    expect(await errorOf(otherTask)).toEqual([403, 'DOWNLOAD_LINK_INVALID']);
    const later = new URL(url);
    later.searchParams.set('expires', String(Number(url.searchParams.get('expires')) + 3600));
    expect(await errorOf(later)).toEqual([403, 'DOWNLOAD_LINK_INVALID']);
    const unsigned = new URL(url);
    unsigned.searchParams.delete('sig');
    expect(await errorOf(unsigned)).toEqual([403, 'DOWNLOAD_LINK_INVALID']);
    // A genuine link, signed the same way a minute ago.
    const claims = { ...newClaims(app.name, String(task.id), task.fileName, Date.now() - 61_000) };
    const expired = new URL(url);
    expired.searchParams.set('expires', String(claims.expires));
    expired.searchParams.set('nonce', claims.nonce);
    expired.searchParams.set('sig', signLink(linkKey(process.env.APP_KEY!), claims));
    const res = await get(expired.toString());
    expect(res.status).toBe(401);
    expect(JSON.parse(res.body.toString()).errors[0]).toMatchObject({ code: 'DOWNLOAD_LINK_EXPIRED', message: expect.stringMatching(/expired/) });

    const email = `member-dl-${Date.now()}@example.com`;
    const member = await app.db.getRepository('users').create({ values: { email, password: 'member-pass-123', roles: ['member'] } });
    const memberAgent = await app.agent().login(member, 'member');
    expect((await memberAgent.post(`${prefix()}/${TASKS}:downloadLink?filterByTk=${task.id}`)).status).toBe(403);
    expect((await app.agent().post(`${prefix()}/${TASKS}:downloadLink?filterByTk=${task.id}`)).status).toBe(401);
    // Everything else stays closed to anonymous requests.
    expect((await get(`${base}/${TASKS}:download?filterByTk=${task.id}`)).status).toBe(401);
    expect((await get(`${base}/${TASKS}:list`)).status).toBe(401);
  });
});
