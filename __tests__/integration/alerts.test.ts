import fs from 'fs';
import path from 'path';
import { SETTINGS, TASKS } from '../../src/constants';
import { ADMIN, startRealApp, waitTaskApi, type RealApp } from '../helpers/real-app';
import { port } from '../helpers/run-scope';
import { SMTP_LOGIN, startSmtp, type LocalSmtp, type ReceivedMail } from '../helpers/smtp';
import { waitFor } from '../helpers/wait-for';

jest.setTimeout(900000);

// The stale-backup check runs every second here (BM_TEST_ALERT_CHECK_MS) and the threshold is 9 s (0.0025 h):
// the real timer, the real notification manager, NocoBase's own e-mail channel and a real SMTP server.
const CHECK_MS = 1000;
const HOURS = 0.0025;
const CHANNEL = 'bm_alerts_smtp';
const PAGE = '/admin/settings/backups-manager';
const STALE_EN = `No successful backup for more than ${HOURS} hours`;
const STALE_ZH = `超过 ${HOURS} 小时没有成功的备份`;

interface InAppMessage {
  title: string;
  content: string;
  userId: number;
  options?: { url?: string };
}

describe('alerts: in-app messages and real e-mails', () => {
  let smtp: LocalSmtp;
  let app: RealApp;
  let adminId: number;

  const ok = async (p: string, body?: unknown) => {
    const r = await app.api(p, body === undefined ? {} : { body });
    if (r.status !== 200) throw new Error(`${p}: ${r.status} ${JSON.stringify(r.body)}`);
    return r.body.data;
  };
  const settings = (values: Record<string, unknown>) => app.api(`${SETTINGS}:update?filterByTk=1`, { body: values });
  const messages = async (): Promise<InAppMessage[]> => (await ok('myInAppMessages:list?limit=100')).messages;
  const mailsTitled = (subject: string) => smtp.mails.filter((m) => m.subject === subject);
  async function runBackup(values: Record<string, unknown> = {}): Promise<Record<string, any>> {
    const started = await ok(`${TASKS}:create`, values);
    const done = await waitTaskApi(app, started.id);
    expect(done).toMatchObject({ status: 'succeeded', error: null });
    return done;
  }
  /** The condition here is an absence: give the watch several more checks to (wrongly) send it again. */
  const severalChecks = () => new Promise((r) => setTimeout(r, 5 * CHECK_MS));

  beforeAll(async () => {
    smtp = await startSmtp(port(13190));
    app = await startRealApp({
      name: 'alerts',
      port: port(13185),
      plugins: ['notification-email'],
      env: { BM_TEST_ALERT_CHECK_MS: String(CHECK_MS) },
    });
    adminId = (await ok('auth:check')).id;
  });

  afterAll(async () => {
    await app?.stop();
    await smtp?.close();
  });

  it("offers NocoBase's e-mail channels for the alerts and refuses any other name", async () => {
    await ok('notificationChannels:create', {
      name: CHANNEL,
      title: 'Alerts SMTP',
      notificationType: 'email',
      options: { host: '127.0.0.1', port: smtp.port, secure: false, ...SMTP_LOGIN, from: 'NocoBase <nocobase@example.test>' },
    });
    // listed only when the e-mail plugin is enabled: this also proves `pm enable notification-email` worked
    expect(await ok(`${SETTINGS}:emailChannels`)).toEqual([{ name: CHANNEL, title: 'Alerts SMTP' }]);
    const unknown = await settings({ alertEmailChannel: 'nope' });
    expect([unknown.status, unknown.body.errors?.[0]?.code]).toEqual([422, 'EMAIL_CHANNEL_UNKNOWN']);
    const bad = await settings({ staleAfterHours: -2 });
    expect([bad.status, bad.body.errors?.[0]?.code]).toEqual([422, 'STALE_HOURS_INVALID']);
    const current = await ok(`${SETTINGS}:get`);
    expect(current).toMatchObject({ alertEmailChannel: null, staleAfterHours: 48, enabled: false });
  });

  it('alerts once per stale period, in-app and by e-mail, and again in the admin language after a recovery', async () => {
    const first = await runBackup();
    // The schedule stays off: the watch has its own timer.
    const saved = await settings({ staleAfterHours: HOURS, alertEmailChannel: CHANNEL });
    expect([saved.status, saved.body.data?.staleAfterHours, saved.body.data?.alertEmailChannel]).toEqual([200, HOURS, CHANNEL]);

    const mail: ReceivedMail = await smtp.waitForMail((m) => m.subject === STALE_EN, 60000, 'the stale-backup e-mail');
    const age = Date.now() - new Date(first.finishedAt).getTime();
    expect(age).toBeGreaterThan(HOURS * 3600 * 1000);
    expect(mail).toMatchObject({ to: [ADMIN.email], from: 'nocobase@example.test', user: SMTP_LOGIN.account });
    expect(mail.text).toContain('The newest successful backup finished at');
    expect(mail.text).toContain(`more than ${HOURS} hours ago`);
    expect(mail.text).toContain(`Open Settings > Backups Manager: ${PAGE}`);

    const inApp = await waitFor(async () => (await messages()).find((m) => m.title === STALE_EN), { what: 'the in-app message' });
    expect(inApp).toMatchObject({ userId: adminId, options: { url: PAGE } });
    expect(mail.text.startsWith(inApp.content)).toBe(true);

    await severalChecks();
    expect(mailsTitled(STALE_EN)).toHaveLength(1);
    expect((await messages()).filter((m) => m.title === STALE_EN)).toHaveLength(1);

    // The admin reads Chinese; a new backup ends the stale period, the next one alerts again, in Chinese.
    await ok(`users:update?filterByTk=${adminId}`, { appLang: 'zh-CN' });
    const second = await runBackup();
    const zh = await smtp.waitForMail((m) => m.subject === STALE_ZH, 60000, 'the second stale-backup e-mail');
    expect(Date.now() - new Date(second.finishedAt).getTime()).toBeGreaterThan(HOURS * 3600 * 1000);
    expect(zh.to).toEqual([ADMIN.email]);
    expect(zh.text).toContain('最近一次成功的备份完成于');
    expect(zh.text).toContain(PAGE);
    await waitFor(async () => (await messages()).find((m) => m.title === STALE_ZH), { what: 'the Chinese in-app message' });
    await severalChecks();
    expect([mailsTitled(STALE_EN).length, mailsTitled(STALE_ZH).length]).toEqual([1, 1]);
    expect((await messages()).filter((m) => [STALE_EN, STALE_ZH].includes(m.title))).toHaveLength(2);

    const off = await settings({ staleAfterHours: null });
    expect(off.body.data?.staleAfterHours).toBeNull();
  });

  it('alerts once when the off-site copies start failing, not at every backup', async () => {
    const before = smtp.mails.length;
    // An S3 storage whose endpoint nothing listens on: every upload fails, the backups themselves succeed.
    const dead = `http://127.0.0.1:${port(13191)}`;
    await ok('storages:create', {
      name: 'bm-dead-s3',
      title: 'Unreachable S3',
      type: 's3',
      path: 'nb',
      options: { region: 'us-east-1', endpoint: dead, bucket: 'nowhere', accessKeyId: 'x', secretAccessKey: 'y' },
    });
    expect((await settings({ offsiteStorage: 'bm-dead-s3' })).status).toBe(200);
    try {
      const one = await runBackup({ offsite: true });
      const two = await runBackup({ offsite: true });
      for (const b of [one, two]) expect([b.remote, typeof b.remoteError]).toEqual([null, 'string']);
      // The admin reads Chinese since the previous test.
      const mail = await smtp.waitForMail((m) => m.subject === '异地复制失败', 60000, 'the off-site failure e-mail');
      expect(mail.text).toContain(`备份 ${one.fileName} 复制到存储 bm-dead-s3 失败`);
      expect(mail.text).toContain(PAGE);
      await severalChecks(); // the second backup's failure must not have sent another
      const inApp = (await messages()).filter((m) => m.title === '异地复制失败');
      expect(inApp).toHaveLength(1);
      expect(smtp.mails.slice(before).map((m) => m.subject)).toEqual(['异地复制失败']);
    } finally {
      await settings({ offsiteStorage: null });
    }
  });

  it('e-mails a failed scheduled backup, with the run time and the reason', async () => {
    await ok(`users:update?filterByTk=${adminId}`, { appLang: 'en-US' });
    // The uploads folder replaced by a file: a backup that includes the uploads cannot read them and fails.
    const uploads = path.join(app.storage, 'uploads');
    const had = fs.existsSync(uploads);
    if (had) fs.renameSync(uploads, `${uploads}.away`);
    fs.writeFileSync(uploads, 'not a folder');
    const on = await settings({ enabled: true, cron: '*/5 * * * * *', timezone: 'UTC', includeUploads: true, alertEmailChannel: CHANNEL });
    expect([on.status, on.body.errors]).toEqual([200, undefined]);
    let mail: ReceivedMail;
    try {
      mail = await smtp.waitForMail((m) => m.subject === 'Automatic backup failed', 120000, 'the failed-backup e-mail');
    } finally {
      await settings({ enabled: false });
      fs.rmSync(uploads);
      if (had) fs.renameSync(`${uploads}.away`, uploads);
    }
    const failed = (await ok(`${TASKS}:list?pageSize=50&sort=-id`)).find((t: Record<string, any>) => t.origin === 'scheduled' && t.status === 'failed');
    expect(failed.errorCode).not.toBe('SKIPPED_BUSY');
    expect(mail.to).toEqual([ADMIN.email]);
    expect(mail.text).toMatch(/^The automatic backup of \d{4}-\d{2}-\d{2} \d{2}:\d{2}(:\d{2})? UTC did not complete: /);
    expect(mail.text).toContain(failed.error);
    expect(mail.text).toContain(PAGE);
    await waitFor(async () => (await messages()).find((m) => m.title === 'Automatic backup failed'), { what: 'the in-app message' });
  });
});
