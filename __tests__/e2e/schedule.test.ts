import { waitFor } from '../helpers/wait-for';
import { e2eApi } from './api';
import { screenshot, signIn, useE2eSession, watchConsole } from './app';

const session = useE2eSession();
const { api, waitListed } = e2eApi(session);

describe('automatic backups in the browser', () => {
  it('sets a schedule, shows the next runs, and a scheduled backup appears', async () => {
    const page = await session.browser.newPage({ viewport: { width: 1400, height: 1000 } });
    const errors = watchConsole(page);
    await signIn(page, session.app.url);
    // The form is reset when the saved settings arrive: nothing is changed before they have (CI: a choice made
    // earlier was undone and the cron input stayed read-only).
    const loaded = page.waitForResponse((r) => r.url().includes('backupsManagerSettings:get'), { timeout: 60000 });
    await page.goto(`${session.app.url}/admin/settings/backups-manager`);
    await page.getByRole('tab', { name: 'Automatic backups' }).click();
    await page.getByText('Enable automatic backups').waitFor({ timeout: 60000 });
    await loaded;

    const enabled = page.getByRole('switch').first();
    // The backup schedule's cron input: the first of the tab's (the restore drills have one too, below it).
    const cronInput = page.locator('.ant-input-group-wrapper').filter({ hasText: 'cron' }).locator('input').first();
    // Custom expression: every five seconds (the schedule takes a seconds field first), so a run comes within seconds
    // instead of at the next minute (30 s on average of CI's time).
    await waitFor(
      async () => {
        if ((await enabled.getAttribute('aria-checked')) !== 'true') await enabled.click();
        if (!(await cronInput.isEditable())) {
          await page.locator('.ant-select').filter({ hasText: /Daily|Hourly|Weekly|Monthly|Custom/ }).first().click();
          await page.getByTitle('Custom cron expression').click();
        }
        return (await enabled.getAttribute('aria-checked')) === 'true' && (await cronInput.isEditable());
      },
      { timeoutMs: 30000, intervalMs: 500, what: 'the schedule switched on with a custom cron expression' },
    );
    await cronInput.fill('*/5 * * * * *');
    await page.getByText('Next runs (your local time):').waitFor({ timeout: 30000 });
    const runs = page.locator('li').filter({ hasText: /\d{2}:\d{2}/ });
    await runs.nth(4).waitFor({ timeout: 30000 });
    await screenshot(page, 'schedule-typed');
    expect(await runs.count()).toBeGreaterThanOrEqual(5);
    // Only a backup the new schedule made counts (archives of earlier runs on disk are listed too).
    const savedAt = Date.now();
    await page.getByRole('button', { name: 'Save' }).click();
    await page.getByText('Saved').waitFor({ timeout: 30000 });
    await screenshot(page, 'schedule-tab');

    const settings = (await api('backupsManagerSettings:get')).body;
    expect(settings.data).toMatchObject({ enabled: true, cron: '*/5 * * * * *' });
    expect(settings.data.nextRuns).toHaveLength(5);

    const scheduled = await waitListed(
      (t: { origin: string; status: string; createdAt: string }) =>
        t.origin === 'scheduled' && t.status === 'succeeded' && new Date(t.createdAt).getTime() >= savedAt - 1000,
      'a scheduled backup made after Save',
      150000,
    );
    expect(scheduled).toBeDefined();
    // Off again: the browser tests share one backups folder, which a backup every five seconds would fill.
    expect((await api('backupsManagerSettings:update?filterByTk=1', { method: 'POST', body: JSON.stringify({ enabled: false }) })).status).toBe(200);
    await page.goto(`${session.app.url}/admin/settings/backups-manager`);
    await page.locator('.ant-table').getByText('Scheduled', { exact: true }).first().waitFor({ timeout: 30000 });
    await screenshot(page, 'scheduled-backup-listed');
    expect(errors.filter((e) => /Module not provided/.test(e))).toEqual([]);
    await page.close();
  });
});
