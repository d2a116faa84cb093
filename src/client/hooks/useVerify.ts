import { App } from 'antd';
import { useCallback, useEffect, useRef } from 'react';
import { readErrorMessage } from '../api/errors';
import { useTasksApi } from '../api/tasks';
import { useT } from '../locale';
import type { Task } from '../types';
import { isActive } from '../types';
import { errorText } from '../utils/taskError';
import { POLL_MS } from './useTasks';

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * Verifies a backup and tells the result. The server may answer at once with the finished verify task, or with
 * a task still running, which is then followed until it ends.
 */
export function useVerify(onChange: () => void) {
  const api = useTasksApi();
  const t = useT();
  const { notification } = App.useApp();
  const mounted = useRef(true);
  useEffect(() => {
    mounted.current = true;
    return () => {
      mounted.current = false;
    };
  }, []);

  return useCallback(
    async (backup: Task) => {
      const title = t('Verify {{fileName}}', { fileName: backup.fileName ?? '' });
      try {
        let task = await api.verify(backup.id);
        onChange();
        while (task && isActive(task) && mounted.current) {
          await sleep(POLL_MS);
          task = (await api.get(task.id)) ?? task;
        }
        if (!mounted.current) return;
        onChange();
        if (task?.status === 'failed') {
          notification.error({ message: title, description: errorText(t, task) || t('failed') });
        } else {
          notification.success({
            message: title,
            description: t('The backup is intact: every file matches its checksum.'),
          });
        }
      } catch (error) {
        if (mounted.current) notification.error({ message: title, description: await readErrorMessage(error) });
      }
    },
    [api, notification, onChange, t],
  );
}
