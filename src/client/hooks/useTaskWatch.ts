import { useEffect, useState } from 'react';
import { readErrorMessage } from '../api/errors';
import { useTasksApi } from '../api/tasks';
import type { Task, TaskId } from '../types';
import { isFinished } from '../types';
import { POLL_MS } from './useTasks';

export interface TaskWatch {
  task?: Task;
  /** True while the server does not answer (restarting, 502/503, signed out…); polling goes on regardless. */
  unreachable: boolean;
  lastError?: string;
}

/**
 * Reads one task every 2 s until it has succeeded or failed. Errors never stop it: during a restore the
 * application restarts, and until it is back every request fails.
 */
export function useTaskWatch(id: TaskId | undefined): TaskWatch {
  const api = useTasksApi();
  const [state, setState] = useState<TaskWatch>({ unreachable: false });

  useEffect(() => {
    if (id === undefined) return undefined;
    let stopped = false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    setState({ unreachable: false });
    const tick = async () => {
      try {
        const task = await api.get(id);
        if (stopped) return;
        if (task) {
          setState({ task, unreachable: false });
          if (isFinished(task)) return;
        } else {
          setState((s) => ({ ...s, unreachable: true }));
        }
      } catch (error) {
        const lastError = await readErrorMessage(error);
        if (stopped) return;
        setState((s) => ({ ...s, unreachable: true, lastError }));
      }
      timer = setTimeout(tick, POLL_MS);
    };
    tick();
    return () => {
      stopped = true;
      if (timer) clearTimeout(timer);
    };
  }, [api, id]);

  return state;
}
