import type { TFunction } from '../locale';
import type { Task } from '../types';

/**
 * What the Delete confirmation says: only a backup row takes a file with it (here and off-site); verify and
 * restore rows only name the archive they read, and deleting them leaves it alone.
 */
export function deleteConfirm(task: Task, t: TFunction): { title: string; description: string } {
  const local = task.kind === 'backup' && !!task.fileName && !!task.local;
  const remote = task.kind === 'backup' && !!task.fileName ? task.remote : null;
  if (local && remote) {
    return {
      title: t('Delete this backup?'),
      description: t('The backup file is removed from this server and from the off-site storage {{storage}}.', {
        storage: remote.storage,
      }),
    };
  }
  if (local) return { title: t('Delete this backup?'), description: t('The backup file is removed from the server.') };
  if (remote) {
    return {
      title: t('Delete this backup?'),
      description: t('The backup file is removed from the off-site storage {{storage}}.', { storage: remote.storage }),
    };
  }
  return { title: t('Delete this entry?'), description: t('Only this entry is removed; no backup file is touched.') };
}
