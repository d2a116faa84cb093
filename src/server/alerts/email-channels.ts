import type { Application } from '@nocobase/server';
import { findJson } from '../db/find-json';
import { BackupError } from '../errors';
import { plugin } from '../schedule/notify';
import { EMAIL_TYPE } from './send';

export interface EmailChannelChoice {
  name: string;
  title: string;
}

/** The channels of type e-mail set up in NocoBase's notification manager (Settings > Notification manager). */
export async function listEmailChannels(app: Application): Promise<EmailChannelChoice[]> {
  if (!plugin(app, 'notification-email') || !app.db.hasCollection('notificationChannels')) return [];
  const rows = await findJson<{ name: string; title?: string }>(app.db.getRepository('notificationChannels'), {
    filter: { notificationType: EMAIL_TYPE },
    fields: ['name', 'title'],
  });
  return rows.map((r) => ({ name: r.name, title: r.title || r.name }));
}

/** A 422 naming the channel unless it is an e-mail channel NocoBase can send through now. */
export async function checkEmailChannel(app: Application, name: string): Promise<void> {
  if (!(await listEmailChannels(app)).some((c) => c.name === name)) throw new BackupError('EMAIL_CHANNEL_UNKNOWN', { name }, 422);
}
