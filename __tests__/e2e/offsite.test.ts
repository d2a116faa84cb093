import { remoteFolder } from '../../src/server/offsite/keys';
import { S3_KEYS, startLocalS3, type LocalS3 } from '../helpers/s3';
import { apiToken, dialogSettled, screenshot, signIn, useE2eSession, watchConsole } from './app';

const session = useE2eSession();
const STORAGE = 'bm-s3-e2e';

describe('off-site copies in the browser', () => {
  let s3: LocalS3;
  beforeAll(async () => {
    s3 = await startLocalS3('bm-e2e');
  });
  afterAll(async () => {
    await s3?.close();
  });

  it('picks an S3 storage of the file manager, and Backup now lands in the bucket too', async () => {
    const token = await apiToken(session.app.url);
    const created = await fetch(`${session.app.url}/api/storages:create`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' },
      body: JSON.stringify({
        name: STORAGE,
        title: 'Off-site bucket',
        type: 's3',
        path: 'e2e',
        options: { region: 'us-east-1', endpoint: s3.endpoint, bucket: s3.bucket, ...S3_KEYS },
      }),
    });
    expect(created.status).toBe(200);

    const page = await session.browser.newPage({ viewport: { width: 1400, height: 1000 } });
    const errors = watchConsole(page);
    await signIn(page, session.app.url);
    await page.goto(`${session.app.url}/admin/settings/backups-manager`);
    await page.getByRole('tab', { name: 'Automatic backups' }).click();
    const field = page.locator('.ant-form-item').filter({ hasText: 'Off-site copy' });
    await field.waitFor({ timeout: 60000 });
    await field.locator('.ant-select').click();
    // The default local storage is offered but disabled, with the reason.
    await page
      .locator('.ant-select-item-option-disabled')
      .filter({ hasText: 'A local storage is on this server' })
      .first()
      .waitFor({ timeout: 30000 });
    await page.locator('.ant-select-item-option').filter({ hasText: STORAGE }).click();
    await page.getByRole('button', { name: 'Save' }).click();
    await page.getByText('Saved').waitFor({ timeout: 30000 });
    await screenshot(page, 'offsite-storage-chosen');

    await page.getByRole('tab', { name: 'Backups', exact: true }).click();
    await page.getByRole('button', { name: 'Backup now' }).click();
    const copy = page.getByLabel(`Also copy it to the off-site storage ${STORAGE}`);
    await copy.waitFor({ timeout: 30000 });
    expect(await copy.isChecked()).toBe(true);
    await dialogSettled(page);
    await page.getByRole('button', { name: 'Start backup' }).click();
    await page.locator('.ant-table').getByText(`Off-site: ${STORAGE}`).first().waitFor({ timeout: 180000 });
    await page.locator('.ant-table').getByText('This server').first().waitFor({ timeout: 30000 });
    await screenshot(page, 'offsite-backup-listed');

    const objects = await s3.client.list(remoteFolder('e2e', 'main'));
    expect(objects).toHaveLength(1);
    expect(objects[0].key).toMatch(/\.nbbm$/);
    expect(objects[0].size).toBeGreaterThan(1000);
    expect(errors.filter((e) => /Module not provided/.test(e))).toEqual([]);
    await page.close();
  });
});
