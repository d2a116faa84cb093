import crypto from 'crypto';
import fs from 'fs';
import path from 'path';
import { TASKS } from '../../src/constants';
import { waitFor } from '../helpers/wait-for';
import { e2eApi } from './api';
import { ARTIFACTS, screenshot, signIn, useE2eSession, watchConsole } from './app';
// eslint-disable-next-line @typescript-eslint/no-var-requires
const { startSmallBodyProxy } = require('../../scripts/bench/small-body-proxy');
const MB = 1024 * 1024;

const session = useE2eSession();
const { api, signIn: apiSignIn, waitTask, waitListed, token } = e2eApi(session);

beforeAll(async () => {
  await apiSignIn();
});

const userCount = async () => (await api('users:list?pageSize=1')).body.meta.count as number;

describe('restore an uploaded backup in the browser', () => {
  // The page is used through a proxy that refuses request bodies over 10 MB (as nginx's client_max_body_size), and
  // the archive is bigger: its upload only goes through in resumable chunks (tus).
  let proxy: any;
  const big = () => path.join(session.app.appDir, 'storage', 'uploads', 'e2e-tus-big.bin');
  afterAll(async () => {
    await proxy?.close();
    fs.rmSync(big(), { force: true });
  });

  it('upload (in chunks, behind a 10 MB body limit) → summary → confirm → the app restarts → the changed data is back', async () => {
    fs.mkdirSync(path.dirname(big()), { recursive: true });
    fs.writeFileSync(big(), crypto.randomBytes(11 * MB));
    proxy = await startSmallBodyProxy({ target: session.app.url, limit: 10 * MB });
    const created = await api(`${TASKS}:create`, { method: 'POST', body: '{}' });
    expect(created).toMatchObject({ status: 200 });
    const backup = await waitTask(created.body.data.id);
    expect(backup.status).toBe('succeeded');
    const file = path.join(ARTIFACTS, 'to-upload.nbbm');
    fs.mkdirSync(ARTIFACTS, { recursive: true });
    const dl = await fetch(`${session.app.url}/api/${TASKS}:download?filterByTk=${backup.id}`, {
      headers: { Authorization: `Bearer ${token()}` },
    });
    fs.writeFileSync(file, Buffer.from(await dl.arrayBuffer()));
    expect(fs.statSync(file).size).toBeGreaterThan(10 * MB);
    const before = await userCount();
    const added = await api('users:create', {
      method: 'POST',
      body: JSON.stringify({ email: `e2e-${Date.now()}@example.com`, password: 'x1234567' }),
    });
    expect(added.status).toBe(200);
    expect(await userCount()).toBe(before + 1);

    const page = await session.browser.newPage({ viewport: { width: 1400, height: 900 } });
    const errors = watchConsole(page);
    await signIn(page, proxy.url);
    await page.goto(`${proxy.url}/admin/settings/backups-manager`);
    await page.getByRole('button', { name: /Upload and restore/ }).click();
    proxy.reset();
    await page.locator('input[type=file]').setInputFiles(file);
    await page.getByText('Restoring replaces all data and files of this application.').waitFor({ timeout: 60000 });
    // Every chunk passed the proxy: nothing refused, and about the file's size sent.
    expect(proxy.refused()).toBe(0);
    expect(proxy.bytesIn()).toBeGreaterThanOrEqual(fs.statSync(file).size);
    await screenshot(page, 'restore-summary');
    await page.getByRole('dialog').getByRole('button', { name: /Confirm/ }).click();

    const restoreId = (await waitListed((t: { kind: string }) => t.kind === 'restore', 'the restore task', 60000)).id as number;
    const restore = await waitTask(restoreId);
    expect(restore.error).toBeNull();
    expect(restore.status).toBe('succeeded');
    await apiSignIn();
    expect(await userCount()).toBe(before);

    // The restarted app serves its pages again (no fixed pause: the health check says when).
    await waitFor(async () => (await fetch(`${session.app.url}/api/__health_check`).catch(() => null))?.ok, { what: 'the app after its restart' });
    await page.goto(`${proxy.url}/admin/settings/backups-manager`);
    await page.getByText('Backups Manager').first().waitFor({ timeout: 60000 });
    await screenshot(page, 'after-restore');
    expect(errors.filter((e) => /Module not provided/.test(e))).toEqual([]);
    await page.close();
  });
});
