import type { Application } from '@nocobase/server';
import { ACL_SNIPPET, NAMESPACE, SETTINGS_KEY } from '../../constants';
import { findJson } from '../db/find-json';

// A failed automatic backup becomes an in-app message for every admin, through NocoBase's notification manager.
// Optional by nature: without the notification plugins we log and carry on; nothing here may throw.

/** Our own in-app channel, so the messages are grouped under "Backups Manager" in the inbox. */
export const CHANNEL_NAME = 'backups_manager';
const IN_APP_TYPE = 'in-app-message';

export interface NotificationManagerLike {
  enabled?: boolean;
  send(options: {
    channelName: string;
    message: Record<string, unknown>;
    data?: Record<string, unknown>;
    triggerFrom: string;
    receivers?: { type: 'userId'; value: number[] };
  }): Promise<{ status?: string; reason?: string } | undefined>;
}

export function plugin<T>(app: Application, name: string): T | null {
  const found = app.pm.get(name) as unknown as (T & { enabled?: boolean }) | undefined;
  return found && found.enabled !== false ? found : null;
}

/** Root, and any role holding our ACL snippet (directly or through pm / pm.*). */
export async function adminUserIds(app: Application): Promise<number[]> {
  const roles = await findJson<{ name: string; snippets?: string[] }>(app.db.getRepository('roles'), { fields: ['name', 'snippets'] });
  const names = roles
    .filter((r) => r.name === 'root' || (r.snippets || []).some((s) => ['pm', 'pm.*', ACL_SNIPPET].includes(s)))
    .map((r) => r.name);
  if (!names.length) return [];
  const users = await findJson<{ id: number }>(app.db.getRepository('users'), { filter: { 'roles.name': { $in: names } }, fields: ['id'] });
  return [...new Set<number>(users.map((u) => Number(u.id)))];
}

async function ensureChannel(app: Application): Promise<void> {
  const repo = app.db.getRepository('notificationChannels');
  if (await repo.findOne({ filterByTk: CHANNEL_NAME })) return;
  await repo.create({
    values: { name: CHANNEL_NAME, title: 'Backups Manager', notificationType: IN_APP_TYPE, options: {} },
  });
}

export async function notifyAdmins(app: Application, text: { title: string; content: string }): Promise<boolean> {
  try {
    return await sendInApp(app, await adminUserIds(app), text);
  } catch (err) {
    app.log.error(`[${NAMESPACE}] notification failed`, { err });
    return false;
  }
}

/** One in-app message to these users (alerts/send.ts sends one per language); false when it could not be sent. */
export async function sendInApp(app: Application, userIds: number[], text: { title: string; content: string }): Promise<boolean> {
  try {
    const manager = notificationManager(app);
    if (!manager || !plugin(app, 'notification-in-app-message')) {
      app.log.warn(`[${NAMESPACE}] in-app notifications are not enabled; not sent: ${text.title}`);
      return false;
    }
    if (!userIds.length) return false;
    await ensureChannel(app);
    const result = await manager.send({
      channelName: CHANNEL_NAME,
      // Triple braces: the manager renders messages as Handlebars templates; our text is data, never a template.
      message: { title: '{{{title}}}', content: '{{{content}}}', options: { url: `/admin/settings/${SETTINGS_KEY}` } },
      data: text,
      triggerFrom: NAMESPACE,
      receivers: { type: 'userId', value: userIds },
    });
    if (result?.status === 'failure') {
      app.log.warn(`[${NAMESPACE}] notification not sent: ${result.reason}`);
      return false;
    }
    return true;
  } catch (err) {
    app.log.error(`[${NAMESPACE}] notification failed`, { err });
    return false;
  }
}

/** NocoBase's notification manager, when its plugin is enabled. */
export function notificationManager(app: Application): NotificationManagerLike | null {
  return plugin<NotificationManagerLike>(app, 'notification-manager');
}
