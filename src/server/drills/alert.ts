import type { Application } from '@nocobase/server';
import { alertAdmins } from '../alerts';

/**
 * The one place a failed restore drill alerts the admins: in-app, and by e-mail through the channel the settings
 * choose (alerts/send.ts). Never throws.
 */
export async function drillFailed(app: Application, facts: { fileName: string; reason: string }): Promise<boolean> {
  const sent = await alertAdmins(app, 'drillFailed', { file: facts.fileName, reason: facts.reason });
  return sent.inApp || sent.email;
}
