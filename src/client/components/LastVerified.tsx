import { CheckCircleTwoTone, CloseCircleTwoTone } from '@ant-design/icons';
import { Space, Tooltip, Typography } from 'antd';
import { useT } from '../locale';
import type { Task } from '../types';
import { formatTime } from '../utils/format';

/** A backup's last verify or restore drill: green with its time when it passed, red when the last one failed. */
export function LastVerified({ task }: { task: Task }) {
  const t = useT();
  if (task.lastCheckStatus === 'failed') {
    const time = formatTime(task.lastCheckAt);
    return (
      <Tooltip title={t('The last verify or drill of this backup failed ({{time}}).', { time })}>
        <Space size={4} data-testid="last-verified" data-status="failed">
          <CloseCircleTwoTone twoToneColor="#ff4d4f" />
          <Typography.Text type="danger" style={{ fontSize: 12 }}>
            {formatTime(task.lastCheckAt, 'YYYY-MM-DD HH:mm')}
          </Typography.Text>
        </Space>
      </Tooltip>
    );
  }
  if (!task.verifiedAt) return null;
  return (
    <Tooltip title={t('Verified at {{time}}', { time: formatTime(task.verifiedAt) })}>
      <Space size={4} data-testid="last-verified" data-status="succeeded">
        <CheckCircleTwoTone twoToneColor="#52c41a" />
        <Typography.Text type="secondary" style={{ fontSize: 12 }}>
          {formatTime(task.verifiedAt, 'YYYY-MM-DD HH:mm')}
        </Typography.Text>
      </Space>
    </Tooltip>
  );
}
