import type { Application } from '@nocobase/server';
import { translate } from '../errors';
import { notifyAdmins } from '../schedule/notify';

/**
 * The one place a failed restore drill alerts the admins: in-app today, through notifyAdmins; kept alone so it can be
 * pointed at the alerts module (issue 17 item 2: e-mail too) without touching the drill.
 */
export async function drillFailed(app: Application, facts: { fileName: string; reason: string }): Promise<boolean> {
  const t = (key: string, params: Record<string, string> = {}) => translate(app.i18n, key, params);
  return notifyAdmins(app, {
    title: t('Restore drill failed'),
    content: t('The restore drill of {{fileName}} failed: {{reason}}', facts),
  });
}
