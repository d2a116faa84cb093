import { SETTINGS_KEY } from '../../constants';
import { translate, type Translator } from '../errors';

// What each alert says, as locale keys (English sentences, src/locale/*.json). Pure.

export const ALERT_KINDS = {
  /** A scheduled backup ran and failed. Params: time, reason. */
  backupFailed: { title: 'Automatic backup failed', content: 'The automatic backup of {{time}} did not complete: {{reason}}' },
  /** A scheduled run was recorded as skipped (busy, unreadable password). Params: time, reason. */
  backupSkipped: { title: 'Automatic backup skipped', content: 'The automatic backup of {{time}} did not complete: {{reason}}' },
  /** The newest successful backup is older than the threshold. Params: hours, time (when it finished). */
  staleBackup: {
    title: 'No successful backup for more than {{hours}} hours',
    content: 'The newest successful backup finished at {{time}}, more than {{hours}} hours ago. Check the automatic backups and the last runs.',
  },
  /** No backup has ever succeeded, for longer than the threshold. Params: hours, time (when the watch started). */
  noBackupYet: {
    title: 'No successful backup for more than {{hours}} hours',
    content: 'No backup has succeeded since {{time}}, more than {{hours}} hours ago. Enable the automatic backups or make a backup now.',
  },
  /** A backup's copy to the off-site storage failed (the local archive is fine). Params: file, storage, reason. */
  offsiteFailed: {
    title: 'Off-site copy failed',
    content: 'The copy of backup {{file}} to the storage {{storage}} failed: {{reason}}. The backup is kept on this server only.',
  },
  /** A restore drill (a backup restored into a scratch database) failed. Params: file, reason. */
  drillFailed: { title: 'Restore drill failed', content: 'The restore drill of backup {{file}} failed: {{reason}}' },
} as const;

export type AlertKind = keyof typeof ALERT_KINDS;
export type AlertParams = Record<string, string | number>;

export function isAlertKind(kind: unknown): kind is AlertKind {
  return typeof kind === 'string' && Object.prototype.hasOwnProperty.call(ALERT_KINDS, kind);
}

/** The page every alert links to, under the app's public path (APP_PUBLIC_PATH, '/' by default). */
export function pagePath(publicPath = '/'): string {
  const base = publicPath.endsWith('/') ? publicPath : `${publicPath}/`;
  return `${base}admin/settings/${SETTINGS_KEY}`;
}

export interface AlertText {
  title: string;
  content: string;
  /** The e-mail body: the content, then where to look. */
  body: string;
  url: string;
}

export function alertText(i18n: Translator, kind: AlertKind, params: AlertParams, lng: string, url: string): AlertText {
  const keys = ALERT_KINDS[kind];
  const content = translate(i18n, keys.content, params, lng);
  return {
    title: translate(i18n, keys.title, params, lng),
    content,
    body: `${content}\n\n${translate(i18n, 'Open Settings > Backups Manager: {{url}}', { url }, lng)}\n`,
    url,
  };
}
