import type { Context, Next } from '@nocobase/actions';
import type { Application } from '@nocobase/server';
import { ACL_SNIPPET, SETTINGS, SIGNED_DOWNLOAD, TASKS, UPLOADS } from '../constants';
import { action } from './actions/respond';
import { notFound } from './errors';

/**
 * Only roles holding our snippet (admins, root) reach any action; nothing is granted to loggedIn, and to public only
 * the signed download link, whose signature (issued by an admin's downloadLink a minute ago) is its own check.
 */
export function registerAcl(app: Application): void {
  app.acl.registerSnippet({ name: ACL_SNIPPET, actions: [`${TASKS}:*`, `${SETTINGS}:*`, `${UPLOADS}:*`] });
  app.acl.allow(TASKS, SIGNED_DOWNLOAD, 'public');
  // After the permission check, before NocoBase's own destroy check (group 'after'), which counts the records
  // filterByTk selects: an id such as '../x' would fail there as a database error (500) before our action runs.
  app.acl.use(guardTaskIds, { tag: 'backups-manager-task-ids', after: 'core', before: 'after' });
}

/** Task ids are integers: any other filterByTk on our tasks is a 404. */
const guardTaskIds = action(async (ctx: Context, next: Next) => {
  const id = ctx.action?.resourceName === TASKS ? ctx.action.params?.filterByTk : undefined;
  if (id !== undefined && id !== null && id !== '' && !/^\d{1,20}$/.test(String(id))) throw notFound();
  await next();
});
