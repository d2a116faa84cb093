import { Space, Tag, Tooltip } from 'antd';
import { useT } from '../locale';
import type { Task } from '../types';
import { formatTime } from '../utils/format';

/** Where a finished backup's archive is: on this server, in the off-site storage, or (failed upload) why not. */
export function LocationTags({ task }: { task: Task }) {
  const t = useT();
  if (task.kind !== 'backup' || task.status !== 'succeeded') return null;
  return (
    <Space size={4} wrap>
      {task.local && <Tag color="green">{t('This server')}</Tag>}
      {task.remote && (
        <Tooltip title={t('Uploaded at {{time}}', { time: formatTime(task.remote.uploadedAt) })}>
          <Tag color="geekblue">{t('Off-site: {{name}}', { name: task.remote.storage })}</Tag>
        </Tooltip>
      )}
      {!task.remote && task.remoteError && (
        <Tooltip title={task.remoteError}>
          <Tag color="warning">{t('Off-site copy failed')}</Tag>
        </Tooltip>
      )}
      {!task.local && !task.remote && <Tag color="error">{t('File missing')}</Tag>}
    </Space>
  );
}
