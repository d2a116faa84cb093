import i18next from 'i18next';
import type { Application } from '@nocobase/server';
import { NAMESPACE, SETTINGS } from '../../../constants';
import enUS from '../../../locale/en-US.json';
import zhCN from '../../../locale/zh-CN.json';
import { alertAdmins } from '../send';

// What alertAdmins does with NocoBase's notification manager (a real one is in __tests__/integration/alerts.test.ts,
// with a real SMTP server): one send per language and channel, nothing thrown.
const i18n = i18next.createInstance();
beforeAll(async () => {
  await i18n.init({ lng: 'en-US', fallbackLng: 'en-US', resources: { 'en-US': { [NAMESPACE]: enUS }, 'zh-CN': { [NAMESPACE]: zhCN } } });
});

type Sent = { channelName: string; message: Record<string, unknown>; data: Record<string, string>; receivers: { value: number[] } };

function fakeApp(opts: { email?: boolean; channel?: string | null; send?: (o: Sent) => Promise<unknown> }) {
  const sent: Sent[] = [];
  const logs: string[] = [];
  const row = (r: Record<string, unknown>) => ({ toJSON: () => r, get: (k: string) => r[k] });
  const users = [
    { id: 1, appLang: null },
    { id: 2, appLang: 'zh-CN' },
    { id: 3, appLang: 'fr-FR' },
  ];
  const repos: Record<string, unknown> = {
    roles: { find: async () => [row({ name: 'root' })] },
    users: {
      find: async ({ filter }: { filter: Record<string, unknown> }) => (filter['roles.name'] ? users.map((u) => row({ id: u.id })) : users.map(row)),
    },
    systemSettings: { findOne: async () => row({ appLang: 'en-US' }) },
    notificationChannels: {
      findOne: async ({ filterByTk }: { filterByTk: string }) => (filterByTk === 'smtp' ? row({ name: 'smtp', notificationType: 'email' }) : null),
      create: async () => undefined,
    },
    [SETTINGS]: { findOne: async () => row({ alertEmailChannel: opts.channel ?? null }) },
  };
  const manager = { send: opts.send ?? (async (o: Sent) => (sent.push(o), { status: 'success' })) };
  const plugins: Record<string, unknown> = { 'notification-manager': manager, 'notification-in-app-message': {} };
  if (opts.email) plugins['notification-email'] = {};
  const app = {
    pm: { get: (name: string) => plugins[name] },
    db: { getRepository: (name: string) => repos[name], hasCollection: (name: string) => name in repos },
    i18n,
    log: { warn: (m: string) => logs.push(m), error: (m: string) => logs.push(m) },
  } as unknown as Application;
  return { app, sent, logs };
}

describe('alertAdmins', () => {
  it('sends one in-app message per language, and the e-mail through the chosen channel', async () => {
    const { app, sent } = fakeApp({ email: true, channel: 'smtp' });
    expect(await alertAdmins(app, 'drillFailed', { file: 'x.nbbm', reason: 'bad' })).toEqual({ inApp: true, email: true });
    const summary = sent.map((s) => [s.channelName, s.receivers.value, s.data.title]);
    expect(summary).toEqual([
      ['backups_manager', [1, 3], 'Restore drill failed'],
      ['smtp', [1, 3], 'Restore drill failed'],
      ['backups_manager', [2], '还原演练失败'],
      ['smtp', [2], '还原演练失败'],
    ]);
    expect(sent[1].message).toEqual({ subject: '{{{title}}}', contentType: 'text', text: '{{{body}}}' });
    expect(sent[1].data.body).toContain('/admin/settings/backups-manager');
  });

  it('stays in-app when no channel is chosen, the e-mail plugin is off or the channel is gone', async () => {
    for (const opts of [{ email: true, channel: null }, { email: false, channel: 'smtp' }, { email: true, channel: 'gone' }]) {
      const { app, sent } = fakeApp(opts);
      expect(await alertAdmins(app, 'offsiteFailed', { file: 'x', storage: 's', reason: 'r' })).toEqual({ inApp: true, email: false });
      expect(sent.map((s) => s.channelName)).toEqual(['backups_manager', 'backups_manager']);
    }
  });

  it('never throws, whatever the manager does', async () => {
    const { app, logs } = fakeApp({
      email: true,
      channel: 'smtp',
      send: async () => {
        throw new Error('queue down');
      },
    });
    expect(await alertAdmins(app, 'backupFailed', { time: 't', reason: 'r' })).toEqual({ inApp: false, email: false });
    expect(logs.some((l) => /failed/.test(l))).toBe(true);
  });
});
