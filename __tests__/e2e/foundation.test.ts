import crypto from 'crypto';
import fs from 'fs';
import path from 'path';
import { TASKS } from '../../src/constants';
import { apiToken, dialogSettled, screenshot, signIn, useE2eSession, watchConsole } from './app';

const session = useE2eSession();

async function api(pathAndQuery: string, init: RequestInit = {}, token?: string) {
  const headers: Record<string, string> = { 'Content-Type': 'application/json', ...(init.headers as Record<string, string>) };
  if (token) headers.Authorization = `Bearer ${token}`;
  return fetch(`${session.app.url}/api/${pathAndQuery}`, { ...init, headers });
}

/** What the server says of the tasks, for a failure message. */
async function taskState(token: string): Promise<string> {
  const r = await api(`${TASKS}:list`, {}, token).catch((e) => e as Error);
  if (r instanceof Error) return `tasks:list failed: ${r.message}`;
  const rows = ((await r.json().catch(() => ({}))) as { data?: Record<string, unknown>[] }).data || [];
  const brief = rows.map(({ id, kind, status, phase, progress, errorCode, error }) => ({ id, kind, status, phase, progress, errorCode, error }));
  return `tasks:list ${r.status} ${JSON.stringify(brief)}`;
}

describe('Backups Manager in a real NocoBase app', () => {
  it('an admin signs in and sees the Backups Manager page inside the admin', async () => {
    const page = await session.browser.newPage({ viewport: { width: 1400, height: 900 } });
    const errors = watchConsole(page);
    await signIn(page, session.app.url);
    await page.goto(`${session.app.url}/admin/settings/backups-manager`);
    await page.getByText('Backup now').first().waitFor({ timeout: 60000 });
    await page.getByText('Backups Manager').first().waitFor();
    await screenshot(page, 'backups-manager-page');
    expect(errors.filter((e) => /backups-manager|Module not provided/i.test(e))).toEqual([]);
    await page.close();
  });

  it('refuses the list action to an anonymous request and to a member', async () => {
    const anonymous = await api(`${TASKS}:list`);
    expect([401, 403]).toContain(anonymous.status);

    const token = await apiToken(session.app.url);
    const email = `member-${Date.now()}@example.com`;
    const created = await api(
      'users:create',
      { method: 'POST', body: JSON.stringify({ email, password: 'member-pass-123', roles: ['member'] }) },
      token,
    );
    expect(created.status).toBe(200);
    const signIn = await fetch(`${session.app.url}/api/auth:signIn`, {
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

  it('Backup now shows progress, ends succeeded, and Download (a signed link the browser opens) gives the bytes on disk', async () => {
    const page = await session.browser.newPage({ viewport: { width: 1400, height: 900 }, acceptDownloads: true });
    await signIn(page, session.app.url);
    await page.goto(`${session.app.url}/admin/settings/backups-manager`);
    await page.getByRole('button', { name: /Backup now/ }).click();
    const dialog = page.getByRole('dialog');
    await dialogSettled(page);
    await dialog.getByRole('button', { name: /OK|Start|Backup now/ }).last().click();
    const token = await apiToken(session.app.url);
    // The dialog closes once the task is created; an error stays in it. Either way say what the server has.
    await dialog.waitFor({ state: 'hidden', timeout: 60000 }).catch(async () => {
      throw new Error(`the Backup now dialog stayed open: ${await dialog.innerText()}; ${await taskState(token)}`);
    });
    // The status cell of the new row, updated by the page's own polling (no reload).
    const status = page.locator('.ant-table-tbody tr.ant-table-row').first().locator('.ant-tag', { hasText: /succeeded/i });
    await status.waitFor({ timeout: 120000 }).catch(async () => {
      await screenshot(page, 'backup-not-succeeded');
      throw new Error(`no 'Succeeded' in the first row after 120 s; ${await taskState(token)}`);
    });
    await screenshot(page, 'backup-succeeded');
    const list = (await (await api(`${TASKS}:list`, {}, token)).json()) as { data: { fileName: string; status: string }[] };
    const row = list.data.find((r) => r.status === 'succeeded');
    expect(row).toBeTruthy();
    const downloadPromise = page.waitForEvent('download');
    await page.getByRole('button', { name: /Download/ }).first().click();
    const download = await downloadPromise;
    // The browser fetched a signed link itself (streamed to disk), not a Blob the page built in memory.
    expect(download.url()).toMatch(/\/api\/backupsManagerTasks:signedDownload\?filterByTk=\d+&expires=\d+&nonce=[\w-]+&sig=[\w-]+$/);
    expect(download.suggestedFilename()).toBe(row!.fileName);
    const saved = path.join(path.dirname(await screenshot(page, 'download')), 'downloaded.nbbm');
    await download.saveAs(saved);
    const onDisk = path.join(session.app.appDir, 'storage', 'backups-manager', 'main', row!.fileName);
    const hash = (f: string) => crypto.createHash('sha256').update(fs.readFileSync(f)).digest('hex');
    expect(hash(saved)).toBe(hash(onDisk));
    await page.close();
  });
});
