import { SETTINGS, TASKS } from '../../src/constants';
import { withConn } from '../helpers/inspect';
import { waitFor } from '../helpers/wait-for';
import { e2eApi } from './api';
import { screenshot, signIn, useE2eSession, watchConsole } from './app';

// A note typed in Backup now shows in the list; Keep forever pins the row; the schedule tab previews what the
// policy on screen would delete, before Save.

const session = useE2eSession({ db: 'e2e-retention.sqlite' });
const { api, waitTask } = e2eApi(session);
const DAY = 24 * 3600 * 1000;

/** An age and the scheduled origin for a backup row (only the scheduler and time would give them). */
async function backdate(id: number, daysAgo: number): Promise<void> {
  const at = new Date(Date.now() - daysAgo * DAY).toISOString().replace('T', ' ').replace('Z', ' +00:00');
  await withConn({ dialect: 'sqlite', storage: session.app.dbFile }, (c) =>
    c.query(`UPDATE "backupsManagerTasks" SET "origin" = 'scheduled', "finishedAt" = '${at}', "createdAt" = '${at}' WHERE "id" = ${id}`),
  );
}

describe('retention and notes in the browser', () => {
  it('note in Backup now, Keep forever on the row, and the preview of an unsaved policy', async () => {
    const page = await session.browser.newPage({ viewport: { width: 1500, height: 1000 } });
    // The machine is shared (2 cores): the admin bundle's first load can take minutes under load.
    page.setDefaultNavigationTimeout(180000);
    page.setDefaultTimeout(90000);
    const errors = watchConsole(page);
    await signIn(page, session.app.url);
    await page.goto(`${session.app.url}/admin/settings/backups-manager`);
    await page.getByRole('button', { name: /Backup now/ }).click();
    const dialog = page.getByRole('dialog');
    const note = 'before the v2.3 upgrade';
    await dialog.getByPlaceholder('e.g. before the v2.3 upgrade').fill(note);
    await screenshot(page, 'backup-now-note');
    await dialog.getByRole('button', { name: /Start backup/ }).click();
    const listed = await waitFor(
      async () => ((await api(`${TASKS}:list`)).body?.data ?? []).find((t: { note?: string }) => t.note === note),
      { timeoutMs: 60000, intervalMs: 1000, what: 'the backup with its note' },
    );
    const done = await waitTask(listed.id);
    expect(done).toMatchObject({ status: 'succeeded', note });
    await page.locator(`[data-testid="note-${done.id}"]`).getByText(note).waitFor({ timeout: 30000 });

    const pin = page.locator(`[data-testid="pin-${done.id}"]`);
    await pin.click();
    await waitFor(async () => (await api(`${TASKS}:get?filterByTk=${done.id}`)).body?.data?.pinned === true, {
      timeoutMs: 30000,
      intervalMs: 500,
      what: 'the row pinned',
    });
    await waitFor(async () => (await pin.getAttribute('aria-checked')) === 'true', { timeoutMs: 30000, intervalMs: 500, what: 'the switch on' });
    await screenshot(page, 'backup-note-pinned');

    // Three more backups, made scheduled ones of 1, 5 and 9 days ago.
    const old: number[] = [];
    for (const days of [1, 5, 9]) {
      const started = (await api(`${TASKS}:create`, { method: 'POST', body: JSON.stringify({ includeUploads: false, includePlugins: false }) })).body.data;
      expect((await waitTask(started.id)).status).toBe('succeeded');
      await backdate(started.id, days);
      old.push(Number(started.id));
    }

    await page.goto(`${session.app.url}/admin/settings/backups-manager`);
    await page.getByRole('tab', { name: 'Automatic backups' }).click();
    await page.getByText('Enable automatic backups').waitFor({ timeout: 60000 });
    // The stored policy (keep the last 7) deletes nothing.
    await page.getByText('With this policy, no existing backup would be deleted now.').waitFor({ timeout: 30000 });
    const keepLast = page.getByLabel('Keep the last N scheduled backups');
    await keepLast.fill('1');
    // keepLast 1: the coming backup is the one; the pinned manual one is not the policy's; all three old ones go.
    const preview = page.getByTestId('retention-preview');
    await preview.getByText(/deletes 3 existing backup/).waitFor({ timeout: 30000 });
    await page.getByLabel('Weekly: the newest of each of the last N weeks').fill('2');
    // Two weeks with a backup: this week's coming one, and the newest before it (1 day ago, or 5 days ago when
    // yesterday was in this week); the answer is checked against the server's.
    const expected = (
      await api(`${SETTINGS}:retentionPreview`, { method: 'POST', body: JSON.stringify({ keepLast: 1, keepWeekly: 2 }) })
    ).body.data.destroy.map((r: { id: number }) => Number(r.id));
    expect(expected.length).toBe(2);
    await preview.getByText(/deletes 2 existing backup/).waitFor({ timeout: 30000 });
    for (const id of expected) await page.getByTestId(`retention-preview-${id}`).waitFor({ timeout: 30000 });
    await preview.scrollIntoViewIfNeeded();
    await screenshot(page, 'retention-preview');
    // Nothing was saved or deleted by looking.
    expect((await api(`${SETTINGS}:get`)).body.data).toMatchObject({ keepLast: 7, keepWeekly: null });
    for (const id of old) expect((await api(`${TASKS}:get?filterByTk=${id}`)).status).toBe(200);
    expect(errors.filter((e) => /Module not provided|Uncaught/.test(e))).toEqual([]);
    await page.close();
  });
});
