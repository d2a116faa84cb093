import type { Application } from '@nocobase/server';
import { NAMESPACE } from '../../constants';
import { notificationManager, plugin, sendInApp } from '../schedule/notify';
import { readSettings } from '../schedule/settings-store';
import { groupByLanguage } from './conditions';
import { alertText, pagePath, type AlertKind, type AlertParams, type AlertText } from './kinds';
import { adminRecipients } from './recipients';

export const EMAIL_TYPE = 'email';

export interface AlertResult {
  /** Every admin got the in-app message. */
  inApp: boolean;
  /** Every admin got the e-mail (false when no e-mail channel is chosen, or it failed). */
  email: boolean;
}

/**
 * Tells every admin (root and roles holding our snippet) what happened, in their language: an in-app message
 * always, and an e-mail through the channel chosen in the schedule settings (`alertEmailChannel`). Never throws;
 * what could not be sent is logged. Kinds and their params: alerts/kinds.ts (e.g. `drillFailed` with file, reason).
 */
export async function alertAdmins(app: Application, kind: AlertKind, params: AlertParams = {}): Promise<AlertResult> {
  const result: AlertResult = { inApp: false, email: false };
  try {
    const recipients = await adminRecipients(app);
    app.log.warn(`[${NAMESPACE}] alert ${kind} to ${recipients.length} admin(s)`, { params });
    if (!recipients.length) return result;
    const settings = await readSettings(app.db).catch(() => null);
    const channel = settings?.alertEmailChannel || null;
    const url = pagePath(process.env.APP_PUBLIC_PATH);
    result.inApp = result.email = true;
    for (const [lng, userIds] of groupByLanguage(recipients)) {
      const text = alertText(app.i18n, kind, params, lng, url);
      result.inApp = (await sendInApp(app, userIds, text)) && result.inApp;
      result.email = (channel ? await sendEmail(app, channel, userIds, text) : false) && result.email;
    }
  } catch (err) {
    app.log.error(`[${NAMESPACE}] alert ${kind} failed`, { err });
  }
  return result;
}

/** Through NocoBase's e-mail channel: the users' own addresses (the channel looks them up by user id). */
async function sendEmail(app: Application, channelName: string, userIds: number[], text: AlertText): Promise<boolean> {
  try {
    return await emailThrough(app, channelName, userIds, text);
  } catch (err) {
    app.log.error(`[${NAMESPACE}] alert e-mail through ${channelName} failed`, { err });
    return false;
  }
}

async function emailThrough(app: Application, channelName: string, userIds: number[], text: AlertText): Promise<boolean> {
  const manager = notificationManager(app);
  if (!manager || !plugin(app, 'notification-email')) {
    app.log.warn(`[${NAMESPACE}] e-mail notifications are not enabled; alert not e-mailed: ${text.title}`);
    return false;
  }
  const channel = await app.db.getRepository('notificationChannels').findOne({ filterByTk: channelName });
  if (!channel || channel.get('notificationType') !== EMAIL_TYPE) {
    app.log.warn(`[${NAMESPACE}] e-mail channel ${channelName} not found; alert not e-mailed: ${text.title}`);
    return false;
  }
  const sent = await manager.send({
    channelName,
    // Triple braces: the manager renders Handlebars; our text is data, never a template.
    message: { subject: '{{{title}}}', contentType: 'text', text: '{{{body}}}' },
    data: { ...text },
    triggerFrom: NAMESPACE,
    receivers: { type: 'userId', value: userIds },
  });
  if (sent?.status === 'failure') {
    app.log.warn(`[${NAMESPACE}] alert e-mail not sent through ${channelName}: ${sent.reason}`);
    return false;
  }
  return true;
}
