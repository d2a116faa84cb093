import { NAMESPACE } from '../../constants';
import type { TaskId } from '../types';

// The restore being watched survives the page: the shell may unmount everything (maintenance screen) or reload
// while the application restarts, and the dialog picks the task up again when the page comes back.
const KEY = `${NAMESPACE}:restoreTaskId`;

export function rememberRestore(id: TaskId): void {
  try {
    localStorage.setItem(KEY, JSON.stringify(id));
  } catch {
    // storage unavailable: the dialog still works while it stays open
  }
}

export function forgetRestore(): void {
  try {
    localStorage.removeItem(KEY);
  } catch {
    // ignore
  }
}

export function pendingRestore(): TaskId | undefined {
  try {
    const raw = localStorage.getItem(KEY);
    if (!raw) return undefined;
    const id: unknown = JSON.parse(raw);
    return typeof id === 'number' || typeof id === 'string' ? id : undefined;
  } catch {
    return undefined;
  }
}
