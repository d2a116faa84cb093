import crypto from 'crypto';
import fs from 'fs';
import path from 'path';
import type { Browser } from 'playwright-core';
import { TASKS } from '../../src/constants';
import { apiToken, launch, screenshot, signIn, startE2eApp, watchConsole } from './app';

let app: Awaited<ReturnType<typeof startE2eApp>>;
let browser: Browser;

beforeAll(async () => {
  app = await startE2eApp();
  browser = await launch();
}, 600000);

afterAll(async () => {
  await browser?.close();
  app?.stop();
});

async function api(pathAndQuery: string, init: RequestInit = {}, token?: string) {
  const headers: Record<string, string> = { 'Content-Type': 'application/json', ...(init.headers as Record<string, string>) };
  if (token) headers.Authorization = `Bearer ${token}`;
  return fetch(`${app.url}/api/${pathAndQuery}`, { ...init, headers });
}

describe('Backups Manager in a real NocoBase app', () => {
  it('an admin signs in and sees the Backups Manager page inside the admin', async () => {
    const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
    const errors = watchConsole(page);
    await signIn(page, app.url);
    await page.goto(`${app.url}/admin/settings/backups-manager`);
    await page.getByText('Backup now').first().waitFor({ timeout: 60000 });
    await page.getByText('Backups Manager').first().waitFor();
    await screenshot(page, 'backups-manager-page');
    expect(errors.filter((e) => /backups-manager|Module not provided/i.test(e))).toEqual([]);
    await page.close();
  });

  it('refuses the list action to an anonymous request and to a member', async () => {
    const anonymous = await api(`${TASKS}:list`);
    expect([401, 403]).toContain(anonymous.status);

    const token = await apiToken(app.url);
    const email = `member-${Date.now()}@example.com`;
    const created = await api(
      'users:create',
      { method: 'POST', body: JSON.stringify({ email, password: 'member-pass-123', roles: ['member'] }) },
      token,
    );
    expect(created.status).toBe(200);
    const signIn = await fetch(`${app.url}/api/auth:signIn`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', 'X-Authenticator': 'basic' },
      body: JSON.stringify({ account: email, password: 'member-pass-123' }),
    });
    const memberToken = ((await signIn.json()) as { data: { token: string } }).data.token;
    const member = await api(`${TASKS}:list`, {}, memberToken);
    expect(member.status).toBe(403);
    const admin = await api(`${TASKS}:list`, {}, token);
    expect(admin.status).toBe(200);
  });

  it('Backup now shows progress, ends succeeded, and Download gives the bytes on disk', async () => {
    const page = await browser.newPage({ viewport: { width: 1400, height: 900 }, acceptDownloads: true });
    await signIn(page, app.url);
    await page.goto(`${app.url}/admin/settings/backups-manager`);
    await page.getByRole('button', { name: /Backup now/ }).click();
    await page.getByRole('dialog').getByRole('button', { name: /OK|Start|Backup now/ }).last().click();
    await page.getByText('succeeded').first().waitFor({ timeout: 120000 });
    await screenshot(page, 'backup-succeeded');
    const token = await apiToken(app.url);
    const list = (await (await api(`${TASKS}:list`, {}, token)).json()) as { data: { fileName: string; status: string }[] };
    const row = list.data.find((r) => r.status === 'succeeded');
    expect(row).toBeTruthy();
    const downloadPromise = page.waitForEvent('download');
    await page.getByRole('button', { name: /Download/ }).first().click();
    const download = await downloadPromise;
    const saved = path.join(path.dirname(await screenshot(page, 'download')), 'downloaded.nbbm');
    await download.saveAs(saved);
    const onDisk = path.join(app.appDir, 'storage', 'backups-manager', 'main', row!.fileName);
    const hash = (f: string) => crypto.createHash('sha256').update(fs.readFileSync(f)).digest('hex');
    expect(hash(saved)).toBe(hash(onDisk));
    await page.close();
  });
});
