import { App, Input } from 'antd';
import { createElement } from 'react';
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
  const { notification, modal } = App.useApp();
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
        // An encrypted archive can only be checked with its password: ask for it, never keep it.
        const password = backup.encrypted ? await askPassword(modal, t) : undefined;
        if (backup.encrypted && password === undefined) return;
        let task = await api.verify(backup.id, password);
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
            description: t('The backup is intact: every file matches its checksum and the database restores with every table and row count.'),
          });
        }
      } catch (error) {
        if (mounted.current) notification.error({ message: title, description: await readErrorMessage(error) });
      }
    },
    [api, modal, notification, onChange, t],
  );
}

type Modal = ReturnType<typeof App.useApp>['modal'];

function askPassword(modal: Modal, t: ReturnType<typeof useT>): Promise<string | undefined> {
  return new Promise((resolve) => {
    let value = '';
    modal.confirm({
      title: t('This backup is encrypted: enter its password.'),
      content: createElement(Input.Password, {
        autoFocus: true,
        onChange: (e: { target: { value: string } }) => {
          value = e.target.value;
        },
      }),
      okText: t('Verify'),
      cancelText: t('Cancel'),
      onOk: () => resolve(value),
      onCancel: () => resolve(undefined),
    });
  });
}
