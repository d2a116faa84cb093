import type { Application } from '@nocobase/server';
import { CHANNEL_NAME, notifyAdmins } from '../notify';

// A fake app with just what notify.ts touches: the plugin manager, three repositories and a logger.
function fakeApp(plugins: Record<string, unknown>, channels: Record<string, unknown>[] = []) {
  const logs: string[] = [];
  const rows = (list: Record<string, unknown>[]) => list.map((r) => ({ toJSON: () => r, get: (k: string) => r[k] }));
  const repos: Record<string, unknown> = {
    roles: { find: async () => rows([{ name: 'root' }, { name: 'admin', snippets: ['pm.*'] }, { name: 'member' }]) },
    users: {
      find: async ({ filter }: { filter: Record<string, { $in: string[] }> }) =>
        rows(filter['roles.name'].$in.includes('admin') ? [{ id: 1 }, { id: 2 }, { id: 2 }] : []),
    },
    notificationChannels: {
      findOne: async ({ filterByTk }: { filterByTk: string }) => channels.find((c) => c.name === filterByTk) ?? null,
      create: async ({ values }: { values: Record<string, unknown> }) => channels.push(values),
    },
  };
  const app = {
    pm: { get: (name: string) => plugins[name] },
    db: { getRepository: (name: string) => repos[name] },
    log: { warn: (m: string) => logs.push(m), error: (m: string) => logs.push(m) },
  } as unknown as Application;
  return { app, logs, channels };
}

const text = { title: 'Automatic backup failed', content: 'disk {{full}} <b>' };

describe('notifyAdmins', () => {
  it('sends one in-app message to root and pm admins through its own channel', async () => {
    const sent: Record<string, unknown>[] = [];
    const manager = { send: async (o: Record<string, unknown>) => (sent.push(o), { status: 'success' }) };
    const { app, channels } = fakeApp({ 'notification-manager': manager, 'notification-in-app-message': {} });
    expect(await notifyAdmins(app, text)).toBe(true);
    expect(channels).toEqual([expect.objectContaining({ name: CHANNEL_NAME, notificationType: 'in-app-message' })]);
    expect(sent).toHaveLength(1);
    expect(sent[0]).toMatchObject({
      channelName: CHANNEL_NAME,
      receivers: { type: 'userId', value: [1, 2] },
      // the text travels as data: braces or markup in an error message are never parsed as a template
      message: { title: '{{{title}}}', content: '{{{content}}}' },
      data: text,
    });
  });

  it('logs and moves on when the notification plugins are missing or disabled', async () => {
    for (const plugins of [{}, { 'notification-manager': { enabled: false, send: jest.fn() } }]) {
      const { app, logs } = fakeApp(plugins);
      expect(await notifyAdmins(app, text)).toBe(false);
      expect(logs[0]).toMatch(/not enabled/);
    }
  });

  it('never throws, whatever the manager does', async () => {
    const manager = {
      send: async () => {
        throw new Error('queue down');
      },
    };
    const { app, logs } = fakeApp({ 'notification-manager': manager, 'notification-in-app-message': {} }, [
      { name: CHANNEL_NAME },
    ]);
    expect(await notifyAdmins(app, text)).toBe(false);
    expect(logs).toEqual([expect.stringMatching(/notification failed/)]);
    const failing = { send: async () => ({ status: 'failure', reason: 'channel not found' }) };
    const second = fakeApp({ 'notification-manager': failing, 'notification-in-app-message': {} });
    expect(await notifyAdmins(second.app, text)).toBe(false);
    expect(second.logs[0]).toMatch(/channel not found/);
  });
});
