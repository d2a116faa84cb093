import fs from 'fs';
import path from 'path';
import type { Page } from 'playwright-core';
import { SETTINGS, TASKS } from '../../src/constants';
import { waitFor } from '../helpers/wait-for';
import { e2eApi } from './api';
import { signIn, useE2eSession, watchConsole } from './app';

// The health panel at the top of the Backups tab, in a real app and browser: protection in colour, the last drill
// (run from the panel's button), space, and the chart of the last backups; screenshots for the docs in both languages.
const session = useE2eSession({ db: 'e2e-health.sqlite' });
const { api, waitTask, useLanguage } = e2eApi(session);
const DOCS = path.join(__dirname, '..', '..', 'docs', 'images');
const BACKUPS = 4;


async function openBackups(page: Page) {
  await page.goto(`${session.app.url}/admin/settings/backups-manager`);
  const panel = page.locator('[data-testid=health-panel]');
  await panel.waitFor({ timeout: 60000 });
  return panel;
}

let ids: number[] = [];

/** A page with generous timeouts: on a shared 2-core machine the admin's bundles can take over 30 s to load. */
async function newPage(): Promise<Page> {
  const page = await session.browser.newPage({ viewport: { width: 1400, height: 1000 } });
  page.setDefaultNavigationTimeout(120000);
  page.setDefaultTimeout(60000);
  return page;
}

beforeAll(async () => {
  // The app's storage outlives earlier runs, whose archives are listed again at start: remove them, so the panel
  // counts only this run's backups.
  const listed = (await api(`${TASKS}:list?pageSize=200`)).body?.data ?? [];
  for (const t of listed) expect((await api(`${TASKS}:destroy?filterByTk=${t.id}`, { method: 'POST' })).status).toBe(200);
  for (let i = 0; i < BACKUPS; i++) {
    const created = await api(`${TASKS}:create`, { method: 'POST', body: JSON.stringify({ includeUploads: i % 2 === 1, includePlugins: false }) });
    expect(created.status).toBe(200);
    const done = await waitTask(created.body.data.id);
    expect(done.status).toBe('succeeded');
    ids.push(done.id);
  }
  // Automatic backups on (daily) and drills on (weekly), so the panel has next runs to show.
  const update = await api(`${SETTINGS}:update?filterByTk=1`, {
    method: 'POST',
    body: JSON.stringify({ enabled: true, cron: '0 3 * * *', timezone: 'UTC', drillEnabled: true, drillCron: '0 4 * * 0' }),
  });
  expect(update.status).toBe(200);
}, 600000);

describe('the health panel in the browser', () => {
  it('en-US: protected in green, Run drill now records the drill and the last verified mark, the chart has every backup', async () => {
    const page = await newPage();
    const errors = watchConsole(page);
    await signIn(page, session.app.url);
    await useLanguage(page, 'en-US');
    const panel = await openBackups(page);
    const protection = panel.locator('[data-testid=health-protection]');
    await expect(protection.getAttribute('data-level')).resolves.toBe('green');
    await protection.getByText('Protected', { exact: true }).waitFor();
    await panel.getByText('No drill yet').waitFor();
    await expect(panel.locator('[data-testid=health-chart] svg rect').count()).resolves.toBe(BACKUPS);
    await panel.getByText(`${BACKUPS} archives`, { exact: false }).waitFor();

    await panel.getByRole('button', { name: 'Run drill now' }).click();
    await page.getByText('Restore drill started: it is listed below.').waitFor({ timeout: 30000 });
    const drill = await waitFor(
      async () => ((await api(`${TASKS}:list`)).body?.data ?? []).find((t: any) => t.kind === 'drill' && t.status !== 'pending' && t.status !== 'running'),
      { timeoutMs: 180000, intervalMs: 1000, what: 'the drill to finish' },
    );
    expect(drill).toMatchObject({ status: 'succeeded', origin: 'manual' });
    // The list and the panel catch up with the finished drill.
    await panel.locator('[data-testid=health-drill]').getByText('succeeded').waitFor({ timeout: 60000 });
    const newest = page.locator(`tr[data-row-key="${ids[ids.length - 1]}"]`);
    await newest.locator('[data-testid=last-verified][data-status=succeeded]').waitFor({ timeout: 30000 });
    await page.locator(`tr[data-row-key="${drill.id}"]`).getByText('Restore drill').waitFor();

    fs.mkdirSync(DOCS, { recursive: true });
    await panel.screenshot({ path: path.join(DOCS, 'health-panel-en-US.png') });
    expect(errors.filter((e) => /backups-manager|Module not provided/i.test(e))).toEqual([]);
    await page.close();
  });

  it('zh-CN: the same panel in Chinese', async () => {
    const page = await newPage();
    await signIn(page, session.app.url);
    await useLanguage(page, 'zh-CN');
    try {
      const panel = await openBackups(page);
      await panel.getByText('备份健康状况').waitFor({ timeout: 60000 });
      await panel.locator('[data-testid=health-protection]').getByText('已受保护', { exact: true }).waitFor();
      await panel.getByRole('button', { name: '立即演练' }).waitFor();
      await expect(panel.locator('[data-testid=health-chart] svg rect').count()).resolves.toBe(BACKUPS);
      await panel.screenshot({ path: path.join(DOCS, 'health-panel-zh-CN.png') });
    } finally {
      await useLanguage(page, 'en-US');
      await page.close();
    }
  });

  it('orange when automatic backups are off, red once no good backup is left', async () => {
    const off = await api(`${SETTINGS}:update?filterByTk=1`, { method: 'POST', body: JSON.stringify({ enabled: false }) });
    expect(off.status).toBe(200);
    const page = await newPage();
    await signIn(page, session.app.url);
    let panel = await openBackups(page);
    const level = (p: typeof panel) => p.locator('[data-testid=health-protection]').getAttribute('data-level');
    await waitFor(async () => (await level(panel)) === 'orange', { timeoutMs: 30000, intervalMs: 500, what: 'orange' });
    await panel.getByText('Automatic backups are off.').first().waitFor();
    for (const id of ids) expect((await api(`${TASKS}:destroy?filterByTk=${id}`, { method: 'POST' })).status).toBe(200);
    panel = await openBackups(page);
    await waitFor(async () => (await level(panel)) === 'red', { timeoutMs: 30000, intervalMs: 500, what: 'red' });
    await panel.getByText('Not protected', { exact: true }).waitFor();
    await panel.getByText('No backup to chart yet.').waitFor();
    await page.close();
  });
});
