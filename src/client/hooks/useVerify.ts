import { App, Input } from 'antd';
import { createElement } from 'react';
import { useCallback, useEffect, useRef } from 'react';
import { errorCodeOf, readErrorMessage } from '../api/errors';
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
        let task: Task | undefined;
        try {
          task = await api.verify(backup.id, password);
        } catch (error) {
          // Verify runs the backup's SQL in a scratch database: one made elsewhere needs the admin's word.
          if (errorCodeOf(error) !== 'FOREIGN_ARCHIVE_NEEDS_ACK') throw error;
          if (!(await askTrust(modal, t))) return;
          task = await api.verify(backup.id, password, true);
        }
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

function askTrust(modal: Modal, t: ReturnType<typeof useT>): Promise<boolean> {
  return new Promise((resolve) => {
    modal.confirm({
      title: t('This backup was not made by this application.'),
      content: t('It is not signed with the key of this application (APP_KEY): it comes from another application, from a version of this plugin before signatures, or was changed since. Verifying it runs the database commands it contains in a scratch database.'),
      okText: t('I trust it: verify'),
      cancelText: t('Cancel'),
      onOk: () => resolve(true),
      onCancel: () => resolve(false),
    });
  });
}

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
