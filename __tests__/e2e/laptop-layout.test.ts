import fs from 'fs';
import path from 'path';
import type { Browser, Locator, Page } from 'playwright-core';
import { STORAGE_DIR, TASKS } from '../../src/constants';
import enUS from '../../src/locale/en-US.json';
import zhCN from '../../src/locale/zh-CN.json';
import { waitFor } from '../helpers/wait-for';
import { e2eApi } from './api';
import { launch, screenshot, signIn, startE2eApp, type E2eApp } from './app';

jest.setTimeout(900000);

/**
 * Issue 22 item 4: on a 1366 × 768 laptop screen, in en-US and zh-CN, every row's actions are on screen without
 * scrolling the table sideways, a long file name is cut but readable in full, and the dialogs' buttons are on screen.
 */
const VIEWPORT = { width: 1366, height: 768 };
const DB = 'e2e-laptop.sqlite';
// An admin's own name for a copied archive: far longer than the ones the plugin gives (main_20261205-111653-123.nbbm).
const LONG_NAME = `main_20261205-111653-123_before-upgrading-to-nocobase-2-3-with-every-sub-application-and-upload-kept-for-the-auditors-${process.pid}.nbbm`;
const DOCS_IMAGES = path.join(__dirname, '..', '..', 'docs', 'images');
type Dict = Record<string, string>;
const DICTS: Record<'en-US' | 'zh-CN', Dict> = { 'en-US': enUS as Dict, 'zh-CN': zhCN as Dict };

const session = {} as { app: E2eApp; browser: Browser };
const { api, waitTask, useLanguage } = e2eApi(session);
let longCopy = '';
/** The archives this file made, deleted after it (the browser tests share one backups folder). */
const madeNames: string[] = [LONG_NAME];

beforeAll(async () => {
  session.app = await startE2eApp({ db: DB });
  // Two backups made through the API, then one of them copied into the backups folder under a long name, the way an
  // admin brings an archive back: the page's Refresh lists it (tasks/rediscover.ts; a start-up does the same, tested in
  // the integration tests), once its last write is older than a copy still arriving.
  const made: { fileName: string }[] = [];
  for (const options of [{ includeUploads: false }, {}]) {
    const created = await api(`${TASKS}:create`, { method: 'POST', body: JSON.stringify(options) });
    expect(created.status).toBe(200);
    const task = await waitTask(created.body.data.id);
    expect(task.status).toBe('succeeded');
    made.push(task);
    madeNames.push(task.fileName);
  }
  const folder = path.join(session.app.appDir, 'storage', STORAGE_DIR, 'main');
  longCopy = path.join(folder, LONG_NAME);
  fs.copyFileSync(path.join(folder, made[0].fileName), longCopy);
  const settled = new Date(Date.now() - 10 * 60_000);
  fs.utimesSync(longCopy, settled, settled);
  const refreshed = await api(`${TASKS}:refresh`, { method: 'POST' });
  expect(refreshed.body.data.found).toEqual([LONG_NAME]);
  const listed = await api(`${TASKS}:list?pageSize=100`);
  expect(listed.body.data.map((t: { fileName: string }) => t.fileName)).toEqual(expect.arrayContaining([LONG_NAME, ...made.map((t) => t.fileName)]));
  session.browser = await launch();
  // The app's first page can take minutes on a loaded machine: loaded once here, not in a test's 30 s.
  const warm = await session.browser.newPage();
  await warm.goto(`${session.app.url}/signin`, { timeout: 180000 });
  await warm.getByPlaceholder('Username/Email').waitFor({ timeout: 180000 });
  await warm.close();
}, 900000);

afterAll(async () => {
  await session.browser?.close();
  if (session.app) {
    const rows: { id: number; fileName: string }[] = (await api(`${TASKS}:list?pageSize=100`).catch(() => null))?.body?.data ?? [];
    for (const row of rows.filter((r) => madeNames.includes(r.fileName))) {
      await api(`${TASKS}:destroy?filterByTk=${row.id}`, { method: 'POST' }).catch(() => undefined);
    }
    await session.app.stop();
  }
  if (longCopy) fs.rmSync(longCopy, { force: true });
});


/** A button's label as antd renders it: two CJK characters get a space between them (确 认). */
const label = (text: string) => new RegExp(`^${[...text].map((c) => c.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('\\s*')}$`);

/**
 * Where `target` is, and whether a click at its centre reaches it (not a column drawn over it, nor off screen).
 * Vertically the page may scroll; sideways nothing may.
 */
async function placement(target: Locator) {
  const box = await target.boundingBox();
  if (!box) return { box, onScreenX: false, onScreenY: false, reachable: false };
  const { reachable, hit } = await target.evaluate((el) => {
    const r = el.getBoundingClientRect();
    const at = document.elementFromPoint(r.left + r.width / 2, r.top + r.height / 2);
    return { reachable: !!at && (el === at || el.contains(at)), hit: at ? `${at.tagName}.${at.className}` : null };
  });
  return {
    box,
    onScreenX: box.x >= 0 && box.x + box.width <= VIEWPORT.width,
    onScreenY: box.y >= 0 && box.y + box.height <= VIEWPORT.height,
    reachable,
    hit,
  };
}

/** Elements wider inside than they show (a sideways scroll bar): the table's scroll boxes and the page itself. */
async function sidewaysOverflow(page: Page) {
  return page.evaluate(() =>
    Array.from(document.querySelectorAll<HTMLElement>('.ant-table-content, .ant-table-body, .ant-table-container, html, body'))
      .filter((el) => el.scrollWidth > el.clientWidth)
      .map((el) => `${el.className || el.tagName}: scrollWidth ${el.scrollWidth} > clientWidth ${el.clientWidth}`),
  );
}

const placed = (where: Awaited<ReturnType<typeof placement>>) => where.onScreenX && where.onScreenY && where.reachable;

/**
 * Each of `buttons` (or texts) is on screen and clickable, without scrolling the page. A menu that has just opened
 * is still in its opening animation (antd zooms it in from a 0 × 0 box; CI once measured it there): each item is
 * measured again until it is in place, for at most 5 s, and a problem is what it still is then.
 */
async function expectButtonsOnScreen(buttons: Locator[]) {
  const problems: unknown[] = [];
  for (const button of buttons) {
    await button.waitFor({ timeout: 60000 });
    let where = await placement(button);
    for (const until = Date.now() + 5000; !placed(where) && Date.now() < until; where = await placement(button)) {
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    if (!placed(where)) problems.push({ button: await button.innerText(), ...where });
  }
  expect(problems).toEqual([]);
}

describe.each(['en-US', 'zh-CN'] as const)('a 1366 × 768 laptop screen in %s', (lang) => {
  const t = (key: string) => DICTS[lang][key] ?? key;

  it('every action of every row is on screen, nothing scrolls sideways, and the long name is readable in full', async () => {
    const page = await session.browser.newPage({ viewport: VIEWPORT });
    try {
      await signIn(page, session.app.url);
      await useLanguage(page, lang);
      await page.goto(`${session.app.url}/admin/settings/backups-manager`);
      const table = page.locator('.ant-table');
      const longRow = table.locator('tr.ant-table-row', { hasText: LONG_NAME.slice(0, 40) });
      await longRow.waitFor({ timeout: 60000 });
      await page.getByRole('columnheader', { name: t('Actions') }).waitFor();

      expect(await sidewaysOverflow(page)).toEqual([]);

      const rows = table.locator('tr.ant-table-row');
      const count = await rows.count();
      expect(count).toBeGreaterThanOrEqual(3);
      const problems: unknown[] = [];
      let checked = 0;
      for (let i = 0; i < count; i++) {
        const row = rows.nth(i);
        const id = await row.getAttribute('data-row-key');
        const task = (await api(`${TASKS}:get?filterByTk=${id}`)).body?.data ?? {};
        // A finished backup: Download, Restore, and More (Verify, Delete); other rows: Delete.
        const names = task.kind === 'backup' && task.status === 'succeeded' ? ['Download', 'Restore', 'More'] : ['Delete'];
        for (const name of names) {
          const button = row.getByRole('button', { name: label(t(name)) });
          if ((await button.count()) !== 1) {
            problems.push({ row: task.fileName, name, found: await button.count() });
            continue;
          }
          const where = await placement(button);
          // Sideways always; a click reaches it when its row is within the screen's height (the page scrolls down).
          if (!where.onScreenX || (where.onScreenY && !where.reachable)) problems.push({ row: task.fileName, name, ...where });
          checked++;
        }
      }
      expect(problems).toEqual([]);
      expect(checked).toBeGreaterThanOrEqual(3 * 3);

      // More opens Verify and Delete, on screen too.
      await longRow.getByRole('button', { name: label(t('More')) }).click();
      await expectButtonsOnScreen([page.getByRole('menuitem', { name: label(t('Verify')) }), page.getByRole('menuitem', { name: label(t('Delete')) })]);
      await page.keyboard.press('Escape');

      // The long name: cut on screen, whole in the page (select and copy) and in its tooltip on hover.
      const name = longRow.getByText(LONG_NAME.slice(0, 40));
      expect(await name.evaluate((el) => el.textContent)).toContain(LONG_NAME);
      const nameBox = await name.boundingBox();
      expect(nameBox && nameBox.x + nameBox.width <= VIEWPORT.width).toBe(true);
      await name.hover();
      await page.locator('.ant-tooltip:not(.ant-tooltip-hidden)', { hasText: LONG_NAME }).waitFor({ timeout: 10000 });

      const shot = await screenshot(page, `laptop-list-${lang}`);
      fs.copyFileSync(shot, path.join(DOCS_IMAGES, `laptop-list-${lang}.png`));
    } finally {
      await useLanguage(page, 'en-US');
      await page.close();
    }
  });

  it('Backup now, Upload and restore and the restore confirmation keep their buttons on screen', async () => {
    const page = await session.browser.newPage({ viewport: VIEWPORT });
    try {
      await signIn(page, session.app.url);
      await useLanguage(page, lang);
      await page.goto(`${session.app.url}/admin/settings/backups-manager`);
      const dialog = page.getByRole('dialog');

      await page.getByRole('button', { name: t('Backup now') }).click();
      await expectButtonsOnScreen([dialog.getByRole('button', { name: label(t('Cancel')) }), dialog.getByRole('button', { name: t('Start backup') })]);
      await dialog.getByRole('button', { name: label(t('Cancel')) }).click();
      await dialog.waitFor({ state: 'hidden' });

      await page.getByRole('button', { name: t('Upload and restore') }).click();
      const drop = dialog.locator('.ant-upload-drag');
      await drop.waitFor({ timeout: 60000 });
      expect(await placement(drop)).toMatchObject({ onScreenX: true, onScreenY: true, reachable: true });
      await dialog.locator('.ant-modal-close').click();
      await dialog.waitFor({ state: 'hidden' });

      // The tallest one: the summary of the long-named backup, its pre-flight report, the safety backup choice.
      const longRow = page.locator('tr.ant-table-row', { hasText: LONG_NAME.slice(0, 40) });
      await longRow.getByRole('button', { name: label(t('Restore')) }).click();
      const confirm = dialog.getByRole('button', { name: label(t('Confirm')) });
      await dialog.locator('[data-testid=preflight-report]').waitFor({ timeout: 60000 });
      // The decision stays in view with its buttons: the safety backup choice and what the restore replaces.
      await expectButtonsOnScreen([
        dialog.getByRole('button', { name: label(t('Cancel')) }),
        confirm,
        dialog.getByText(t('Take a safety backup of the current state first')),
        dialog.getByText(t('Restoring replaces all data and files of this application.')),
      ]);
      expect(await dialog.evaluate((el) => el.textContent)).toContain(LONG_NAME);
      expect(await sidewaysOverflow(page)).toEqual([]);
      const shot = await screenshot(page, `laptop-restore-${lang}`);
      fs.copyFileSync(shot, path.join(DOCS_IMAGES, `laptop-restore-${lang}.png`));
    } finally {
      await useLanguage(page, 'en-US');
      await page.close();
    }
  });

  it('the Automatic backups tab does not scroll sideways and its Save button is reachable', async () => {
    const page = await session.browser.newPage({ viewport: VIEWPORT });
    try {
      await signIn(page, session.app.url);
      await useLanguage(page, lang);
      await page.goto(`${session.app.url}/admin/settings/backups-manager`);
      await page.getByRole('tab', { name: t('Automatic backups') }).click();
      const save = page.getByRole('button', { name: label(t('Save')) });
      await save.waitFor({ timeout: 60000 });
      expect(await sidewaysOverflow(page)).toEqual([]);
      // The form grows while its settings and next run times arrive: scrolled to (the page scrolls down, never
      // sideways) until it stays in view.
      await waitFor(
        async () => {
          await save.evaluate((el) => el.scrollIntoView({ block: 'center' }));
          const where = await placement(save);
          return where.onScreenY && where.reachable;
        },
        { timeoutMs: 30000, what: 'the Save button scrolled into view' },
      ).catch(() => undefined);
      // The next-run previews (backup and drill schedules) arrive late and push Save down: scrolled to once more.
      await page.getByText(t('Checking the schedule…')).first().waitFor({ state: 'hidden', timeout: 30000 }).catch(() => undefined);
      await save.evaluate((el) => el.scrollIntoView({ block: 'center' }));
      await screenshot(page, `laptop-schedule-${lang}`);
      await expectButtonsOnScreen([save]);
    } finally {
      await useLanguage(page, 'en-US');
      await page.close();
    }
  });
});
