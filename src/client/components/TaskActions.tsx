import { DownOutlined } from '@ant-design/icons';
import { App, Button, Dropdown, Popconfirm, Space } from 'antd';
import type { MenuProps } from 'antd';
import { useState } from 'react';
import { readErrorMessage } from '../api/errors';
import { useTasksApi } from '../api/tasks';
import { useVerify } from '../hooks/useVerify';
import { useT } from '../locale';
import type { Task } from '../types';
import { isActive } from '../types';
import { deleteConfirm } from '../utils/deleteConfirm';
import { openDownload } from '../utils/download';

interface Props {
  task: Task;
  onRestore: (task: Task) => void;
  onChanged: () => void;
}

/**
 * A finished backup's actions: Download and Restore shown, Verify and Delete under More, so the column stays narrow
 * enough for a 1366 px screen in every language (issue 22). Rows with nothing but Delete show it as it is.
 */
export function TaskActions({ task, onRestore, onChanged }: Props) {
  const t = useT();
  const api = useTasksApi();
  const { message, modal } = App.useApp();
  const verify = useVerify(onChanged);
  const [busy, setBusy] = useState<'download' | 'verify' | 'delete' | undefined>();

  const isBackup = task.kind === 'backup' && task.status === 'succeeded' && !!task.fileName;
  const deletable = !isActive(task);
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
      openDownload(await api.downloadLink(task.id));
    });

  const remove = () =>
    run('delete', async () => {
      await api.destroy(task.id);
      message.success(t('Deleted'));
      onChanged();
    });

  // The same words as the Popconfirm below; a menu item closes its menu, so it asks in a dialog.
  const askDelete = () =>
    modal.confirm({
      title: confirm.title,
      content: confirm.description,
      okText: t('Delete'),
      okButtonProps: { danger: true },
      cancelText: t('Cancel'),
      onOk: remove,
    });

  if (!isBackup) {
    if (!deletable) return null;
    return (
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
    );
  }

  const more: MenuProps['items'] = [
    { key: 'verify', label: t('Verify'), disabled: !!busy, onClick: () => run('verify', () => verify(task)) },
    ...(deletable ? [{ key: 'delete', label: t('Delete'), danger: true, disabled: !!busy, onClick: askDelete }] : []),
  ];

  return (
    <Space size={0}>
      <Button type="link" size="small" loading={busy === 'download'} onClick={download}>
        {t('Download')}
      </Button>
      <Button type="link" size="small" onClick={() => onRestore(task)}>
        {t('Restore')}
      </Button>
      <Dropdown menu={{ items: more }} trigger={['click']} placement="bottomRight">
        <Button type="link" size="small" loading={busy === 'verify' || busy === 'delete'}>
          {t('More')}
          <DownOutlined aria-hidden />
        </Button>
      </Dropdown>
    </Space>
  );
}
