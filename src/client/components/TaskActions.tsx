import { App, Button, Popconfirm, Space } from 'antd';
import { useState } from 'react';
import { readErrorMessage } from '../api/errors';
import { useTasksApi } from '../api/tasks';
import { useVerify } from '../hooks/useVerify';
import { useT } from '../locale';
import type { Task } from '../types';
import { isActive } from '../types';
import { deleteConfirm } from '../utils/deleteConfirm';
import { fileNameFromDisposition, saveBlob } from '../utils/download';

interface Props {
  task: Task;
  onRestore: (task: Task) => void;
  onChanged: () => void;
}

export function TaskActions({ task, onRestore, onChanged }: Props) {
  const t = useT();
  const api = useTasksApi();
  const { message } = App.useApp();
  const verify = useVerify(onChanged);
  const [busy, setBusy] = useState<'download' | 'verify' | 'delete' | undefined>();

  const isBackup = task.kind === 'backup' && task.status === 'succeeded' && !!task.fileName;
  const confirm = deleteConfirm(task, t);

  const run = async (what: 'download' | 'verify' | 'delete', action: () => Promise<void>) => {
    setBusy(what);
    try {
      await action();
    } catch (error) {
      message.error(await readErrorMessage(error));
    } finally {
      setBusy(undefined);
    }
  };

  const download = () =>
    run('download', async () => {
      const res = await api.download(task.id);
      const header = res.headers?.['content-disposition'];
      const name = fileNameFromDisposition(typeof header === 'string' ? header : undefined);
      saveBlob(res.data, name || task.fileName || `backup-${task.id}.nbbm`);
    });

  const remove = () =>
    run('delete', async () => {
      await api.destroy(task.id);
      message.success(t('Deleted'));
      onChanged();
    });

  return (
    <Space size={0} wrap>
      {isBackup && (
        <>
          <Button type="link" size="small" loading={busy === 'download'} onClick={download}>
            {t('Download')}
          </Button>
          <Button type="link" size="small" onClick={() => onRestore(task)}>
            {t('Restore')}
          </Button>
          <Button
            type="link"
            size="small"
            loading={busy === 'verify'}
            onClick={() => run('verify', () => verify(task))}
          >
            {t('Verify')}
          </Button>
        </>
      )}
      {!isActive(task) && (
        <Popconfirm
          title={confirm.title}
          description={confirm.description}
          okText={t('Delete')}
          okButtonProps={{ danger: true }}
          cancelText={t('Cancel')}
          onConfirm={remove}
        >
          <Button type="link" size="small" danger loading={busy === 'delete'}>
            {t('Delete')}
          </Button>
        </Popconfirm>
      )}
    </Space>
  );
}
