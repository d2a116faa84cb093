import fs from 'fs';
import path from 'path';
import { TASKS } from '../../src/constants';
import { ARTIFACTS, apiToken, screenshot, signIn, useE2eSession, watchConsole } from './app';

const session = useE2eSession();
let token: string;

beforeAll(async () => {
  token = await apiToken(session.app.url);
});

async function api(p: string, init: RequestInit = {}) {
  const r = await fetch(`${session.app.url}/api/${p}`, {
    ...init,
    headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${token}`, ...(init.headers as object) },
  });
  return { status: r.status, body: (await r.json().catch(() => null)) as any };
}

async function waitTask(id: number): Promise<any> {
  const deadline = Date.now() + 240000;
  for (;;) {
    const r = await api(`${TASKS}:get?filterByTk=${id}`).catch(() => ({ status: 0, body: null }));
    if (r.status === 401) token = await apiToken(session.app.url).catch(() => token);
    const row = r.status === 200 ? r.body.data : null;
    if (row && !['pending', 'running'].includes(row.status)) return row;
    if (Date.now() > deadline) throw new Error(`task ${id} did not finish`);
    await new Promise((res) => setTimeout(res, 1000));
  }
}

const userCount = async () => (await api('users:list?pageSize=1')).body.meta.count as number;

describe('restore an uploaded backup in the browser', () => {
  it('upload → summary → confirm → the app restarts → the changed data is back', async () => {
    const created = await api(`${TASKS}:create`, { method: 'POST', body: '{}' });
    expect(created).toMatchObject({ status: 200 });
    const backup = await waitTask(created.body.data.id);
    expect(backup.status).toBe('succeeded');
    const file = path.join(ARTIFACTS, 'to-upload.nbbm');
    fs.mkdirSync(ARTIFACTS, { recursive: true });
    const dl = await fetch(`${session.app.url}/api/${TASKS}:download?filterByTk=${backup.id}`, {
      headers: { Authorization: `Bearer ${token}` },
    });
    fs.writeFileSync(file, Buffer.from(await dl.arrayBuffer()));
    const before = await userCount();
    const added = await api('users:create', {
      method: 'POST',
      body: JSON.stringify({ email: `e2e-${Date.now()}@example.com`, password: 'x1234567' }),
    });
    expect(added.status).toBe(200);
    expect(await userCount()).toBe(before + 1);

    const page = await session.browser.newPage({ viewport: { width: 1400, height: 900 } });
    const errors = watchConsole(page);
    await signIn(page, session.app.url);
    await page.goto(`${session.app.url}/admin/settings/backups-manager`);
    await page.getByRole('button', { name: /Upload and restore/ }).click();
    await page.locator('input[type=file]').setInputFiles(file);
    await page.getByText('Restoring replaces all data and files of this application.').waitFor({ timeout: 60000 });
    await screenshot(page, 'restore-summary');
    await page.getByRole('dialog').getByRole('button', { name: /Confirm/ }).click();

    const list = async () => (await api(`${TASKS}:list`)).body?.data ?? [];
    let restoreId: number | undefined;
    const deadline = Date.now() + 60000;
    while (!restoreId && Date.now() < deadline) {
      restoreId = (await list().catch(() => [])).find((t: { kind: string }) => t.kind === 'restore')?.id;
      if (!restoreId) await new Promise((r) => setTimeout(r, 500));
    }
    expect(restoreId).toBeDefined();
    const restore = await waitTask(restoreId!);
    expect(restore.error).toBeNull();
    expect(restore.status).toBe('succeeded');
    token = await apiToken(session.app.url);
    expect(await userCount()).toBe(before);

    await page.waitForTimeout(3000);
    await page.goto(`${session.app.url}/admin/settings/backups-manager`);
    await page.getByText('Backups Manager').first().waitFor({ timeout: 60000 });
    await screenshot(page, 'after-restore');
    expect(errors.filter((e) => /Module not provided/.test(e))).toEqual([]);
    await page.close();
  });
});
