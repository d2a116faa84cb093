import type { Application } from '@nocobase/server';
import { findJson } from '../db/find-json';
import { adminUserIds } from '../schedule/notify';
import { languageOf } from './conditions';

/** The admins (root and roles holding our snippet), each with the language their alerts are written in. */
export async function adminRecipients(app: Application): Promise<{ id: number; lang: string }[]> {
  const ids = await adminUserIds(app);
  if (!ids.length) return [];
  const appLang = await systemLanguage(app);
  const users = await findJson<{ id: number; appLang?: string | null }>(app.db.getRepository('users'), {
    filter: { id: { $in: ids } },
    fields: ['id', 'appLang'],
  });
  return users.map((u) => ({ id: Number(u.id), lang: languageOf(u.appLang, appLang) }));
}

/** The app's language (System settings), or the server's default. */
async function systemLanguage(app: Application): Promise<string | undefined> {
  try {
    const row = app.db.hasCollection('systemSettings') ? await app.db.getRepository('systemSettings').findOne() : null;
    return (row?.get('appLang') as string | undefined) || app.i18n.language;
  } catch {
    return app.i18n.language;
  }
}
