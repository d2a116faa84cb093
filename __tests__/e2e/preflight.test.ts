import fs from 'fs';
import os from 'os';
import path from 'path';
import type { Page } from 'playwright-core';
import { STORAGE_DIR, TASKS, UPLOADS } from '../../src/constants';
import enUS from '../../src/locale/en-US.json';
import zhCN from '../../src/locale/zh-CN.json';
import { extractVerified, readManifest } from '../../src/server/archive';
import { signingKey } from '../../src/server/archive/provenance';
import { ArchiveWriter } from '../../src/server/archive/writer';
import { e2eApi } from './api';
import { screenshot, signIn, useE2eSession, watchConsole } from './app';

jest.setTimeout(900000);

/**
 * The restore dialog's pre-flight report (issue 16) on a real app: an archive whose manifest names a plugin this app
 * lacks (blocking) and an older NocoBase (warning) is shown with both checks, translated, in en-US and zh-CN, and
 * Confirm stays disabled; an archive with a warning only needs the tick, and the restore then sends acceptWarnings.
 */
// Read by the server (preflight/facts.ts) while the file exists: the free bytes it reports. Set before the app starts.
const FREE_SPACE_FILE = path.join(os.tmpdir(), `bm-pfui-free-${process.pid}`);
process.env.BM_TEST_FREE_SPACE_FILE = FREE_SPACE_FILE;
const session = useE2eSession({ db: 'e2e-preflight.sqlite' });
const { api, signIn: apiSignIn, waitTask, useLanguage } = e2eApi(session);
const MISSING = { name: 'bm-e2e-absent', packageName: '@bm-e2e/plugin-absent', version: '1.2.3' };
const OLDER = '2.0.0';
const DOCS_IMAGE = path.join(__dirname, '..', '..', 'docs', 'images', 'preflight.png');

type Dict = Record<string, string>;
interface Check {
  id: string;
  level: string;
  code: string;
  params?: Record<string, string | number>;
  message: string;
}

let work: string;
let blocked: string;
let warnedOnly: string;
let own: { id: number; fileName: string; status: string };

/** The app's own backup packed again (signed with the app's key, so made by this application) under a changed manifest. */
async function variant(source: string, name: string, change: (m: any) => void): Promise<string> {
  const manifest = (await readManifest(source)) as any;
  expect(manifest.requirements).toBeDefined();
  const staging = fs.mkdtempSync(path.join(work, 'x-'));
  const { pathOf } = await extractVerified(source, manifest, staging);
  const out = path.join(work, name);
  const w = await ArchiveWriter.create(out, { tmpDir: path.join(work, 'w'), signingKey: signingKey(process.env.APP_KEY) });
  for (const e of manifest.entries) await w.addBuffer(e.path, fs.readFileSync(pathOf(e.path)));
  const { entries: _e, format: _f, formatVersion: _v, ...draft } = manifest;
  change(draft);
  await w.finish(draft);
  fs.rmSync(staging, { recursive: true, force: true });
  return out;
}

const olderNocobase = (m: any) => {
  m.app.version = OLDER;
  m.requirements.nocobaseVersion = OLDER;
};

/** What the dialog must show for a check: its text in `dict` with its parameters, and its fix. */
function expected(check: Check, dict: Dict): { text: string; fix?: string } {
  const fill = (s: string) => s.replace(/{{\s*(\w+)\s*}}/g, (_, k: string) => String(check.params?.[k] ?? ''));
  const fix = dict[`${check.code}_FIX`];
  return { text: fill(dict[check.code]), fix: fix ? fill(fix) : undefined };
}

/**
 * The report the server gives `file` (uploaded over the API: the browser's copy of a large upload's answer is not
 * kept), then Upload and restore of the same file in the dialog.
 */
async function uploadInDialog(page: Page, file: string, button: RegExp) {
  const up = await api(`${TASKS}:upload`, {
    method: 'POST',
    body: fs.readFileSync(file),
    headers: { 'Content-Type': 'application/octet-stream' },
  });
  expect(up.status).toBe(200);
  const report = up.body.data.summary.preflight as { checks: Check[]; blocking: number; warnings: number; upgrade: boolean };
  await page.goto(`${session.app.url}/admin/settings/backups-manager`);
  await page.getByRole('button', { name: button }).click();
  // The page uploads with tus, then asks for the summary (with the pre-flight report) of the finished upload.
  const answer = page.waitForResponse((r) => r.url().includes(`${UPLOADS}:summary`), { timeout: 120000 });
  await page.locator('input[type=file]').setInputFiles(file);
  expect((await answer).status()).toBe(200);
  const dialog = page.getByRole('dialog');
  const section = dialog.locator('[data-testid=preflight-report]');
  await section.waitFor({ timeout: 60000 });
  return { report, dialog, section };
}

/** Every warning and blocking check is shown with its translated text and fix (translations exist: no English fallback). */
async function expectChecksShown(section: ReturnType<Page['locator']>, checks: Check[], dict: Dict) {
  for (const check of checks.filter((c) => c.level !== 'ok')) {
    expect([check.code, check.code in dict]).toEqual([check.code, true]);
    const want = expected(check, dict);
    const line = section.locator(`li[data-level=${check.level}]`, { hasText: want.text });
    await expect(line.count()).resolves.toBe(1);
    // Its icon says its level (a red cross, an orange exclamation mark), in the admin's language.
    const levelName = dict[check.level === 'blocking' ? 'Blocking' : 'Warning'];
    await expect(line.getByRole('img', { name: levelName }).count()).resolves.toBe(1);
    if (want.fix) expect(await line.innerText()).toContain(want.fix);
  }
}


beforeAll(async () => {
  await apiSignIn();
  work = fs.mkdtempSync(path.join(os.tmpdir(), 'bm-pfui-'));
  const created = await api(`${TASKS}:create`, { method: 'POST', body: JSON.stringify({ includeUploads: false }) });
  expect(created.status).toBe(200);
  own = await waitTask(created.body.data.id);
  expect(own.status).toBe('succeeded');
  const file = path.join(session.app.appDir, 'storage', STORAGE_DIR, 'main', own.fileName);
  blocked = await variant(file, 'needs-absent-plugin.nbbm', (m) => {
    olderNocobase(m);
    m.requirements.plugins = [...(m.requirements.plugins ?? []), { ...MISSING, enabled: true, inArchive: false }];
  });
  warnedOnly = await variant(file, 'older-nocobase.nbbm', olderNocobase);
}, 600000);

afterAll(() => {
  if (work) fs.rmSync(work, { recursive: true, force: true });
  fs.rmSync(FREE_SPACE_FILE, { force: true });
  delete process.env.BM_TEST_FREE_SPACE_FILE;
});

describe('restore pre-flight in the browser', () => {
  it('en-US: a blocking check and a warning, each with its fix; Confirm stays disabled', async () => {
    // Tall enough for the whole dialog in the docs' screenshot.
    const page = await session.browser.newPage({ viewport: { width: 1400, height: 1700 } });
    const errors = watchConsole(page);
    await signIn(page, session.app.url);
    await useLanguage(page, 'en-US');
    const { report, dialog, section } = await uploadInDialog(page, blocked, /Upload and restore/);
    const blocking = report.checks.filter((c) => c.level === 'blocking');
    expect(blocking.map((c) => JSON.stringify(c.params))).toEqual([expect.stringContaining(MISSING.packageName)]);
    expect(report.checks.filter((c) => c.level === 'warning').map((c) => JSON.stringify(c.params))).toContainEqual(
      expect.stringContaining(OLDER),
    );
    await section.getByText('Pre-flight checks').waitFor();
    await expectChecksShown(section, report.checks, enUS as Dict);
    await section.getByText('1 blocking check(s): this backup cannot be restored here until they are fixed.').waitFor();
    await expect(dialog.getByRole('button', { name: /Confirm/ }).isDisabled()).resolves.toBe(true);
    // Nothing to tick while a check blocks.
    await expect(dialog.getByText('I have read the warnings; restore anyway').count()).resolves.toBe(0);
    fs.mkdirSync(path.dirname(DOCS_IMAGE), { recursive: true });
    await page.locator('.ant-modal-content').screenshot({ path: DOCS_IMAGE });
    expect(errors.filter((e) => /backups-manager|Module not provided/i.test(e))).toEqual([]);
    await page.close();
  });

  it('zh-CN: the same report in Chinese; Confirm stays disabled', async () => {
    const page = await session.browser.newPage({ viewport: { width: 1400, height: 1000 } });
    await signIn(page, session.app.url);
    await useLanguage(page, 'zh-CN');
    try {
      const { report, dialog, section } = await uploadInDialog(page, blocked, /上传并还原/);
      await section.getByText('还原前检查').waitFor();
      await expectChecksShown(section, report.checks, zhCN as Dict);
      await section.getByText('1 项检查未通过：解决之前无法在此还原该备份。').waitFor();
      await expect(dialog.getByRole('button', { name: /确\s*认/ }).isDisabled()).resolves.toBe(true);
      await screenshot(page, 'preflight-zh-CN');
    } finally {
      await useLanguage(page, 'en-US');
      await page.close();
    }
  });

  it("a listed backup of this app: all ok, no upgrade; a restore the server then refuses shows the server's report", async () => {
    const page = await session.browser.newPage({ viewport: { width: 1400, height: 1400 } });
    try {
      await signIn(page, session.app.url);
      await page.goto(`${session.app.url}/admin/settings/backups-manager`);
      await page.locator(`tr[data-row-key="${own.id}"]`).getByRole('button', { name: 'Restore' }).click();
      const dialog = page.getByRole('dialog');
      const section = dialog.locator('[data-testid=preflight-report]');
      await section.getByText('Same NocoBase and plugin versions: the restore only restarts the application (no upgrade).').waitFor({ timeout: 60000 });
      await expect(section.locator('li:not([data-level=ok])').count()).resolves.toBe(0);
      const confirm = dialog.getByRole('button', { name: /Confirm/ });
      await expect(confirm.isEnabled()).resolves.toBe(true);

      // The disk fills between the dialog's report and the click: the server checks again and refuses, with its report.
      fs.writeFileSync(FREE_SPACE_FILE, '1024');
      const answered = page.waitForResponse((r) => r.url().includes(`${TASKS}:restore`));
      await confirm.click();
      const res = await answered;
      expect(res.status()).toBe(409);
      const refusal = ((await res.json()) as any).errors[0];
      expect(refusal.code).toBe('PREFLIGHT_BLOCKED');
      const disk = (refusal.preflight.checks as Check[]).filter((c) => c.level === 'blocking');
      expect(disk.map((c) => c.id)).toEqual(['disk']);
      await dialog.getByText(refusal.message).waitFor();
      await expectChecksShown(section, refusal.preflight.checks, enUS as Dict);
      await expect(confirm.isDisabled()).resolves.toBe(true);
      await screenshot(page, 'preflight-refused');
    } finally {
      fs.rmSync(FREE_SPACE_FILE, { force: true });
      await page.close();
    }
    // Nothing was started.
    expect((await api(`${TASKS}:list`)).body.data.filter((r: { kind: string }) => r.kind === 'restore')).toEqual([]);
  });

  it('warnings only: Confirm waits for the tick, then the restore is asked with acceptWarnings and runs', async () => {
    const page = await session.browser.newPage({ viewport: { width: 1400, height: 1000 } });
    await signIn(page, session.app.url);
    const { report, dialog, section } = await uploadInDialog(page, warnedOnly, /Upload and restore/);
    expect([report.blocking, report.warnings > 0, report.upgrade]).toEqual([0, true, true]);
    await expectChecksShown(section, report.checks, enUS as Dict);
    await section.getByText('The versions differ: NocoBase upgrades the restored data, then the application restarts.').waitFor();
    const confirm = dialog.getByRole('button', { name: /Confirm/ });
    await expect(confirm.isDisabled()).resolves.toBe(true);
    await dialog.getByText('I have read the warnings; restore anyway').click();
    await expect(confirm.isEnabled()).resolves.toBe(true);
    const asked = page.waitForRequest((r) => r.url().includes(`${TASKS}:restore`));
    const answered = page.waitForResponse((r) => r.url().includes(`${TASKS}:restore`));
    await confirm.click();
    expect((await asked).postDataJSON()).toMatchObject({ acceptWarnings: true });
    const res = await answered;
    expect(res.status()).toBe(200);
    const restore = await waitTask(((await res.json()) as any).data.id);
    expect([restore.status, restore.error]).toEqual(['succeeded', null]);
    await page.close();
  });
});
