import type { Application } from '@nocobase/server';
import { ACL_SNIPPET, SETTINGS, TASKS } from '../constants';

/** Only roles holding our snippet (admins, root) reach any action; nothing is granted to loggedIn or public. */
export function registerAcl(app: Application): void {
  app.acl.registerSnippet({ name: ACL_SNIPPET, actions: [`${TASKS}:*`, `${SETTINGS}:*`] });
}
