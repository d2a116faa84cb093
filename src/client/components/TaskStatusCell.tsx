import { ClockCircleOutlined } from '@ant-design/icons';
import { Progress, Tag, Tooltip, Typography } from 'antd';
import { useT } from '../locale';
import type { Task } from '../types';
import { errorText } from '../utils/taskError';

function percentOf(task: Task): number {
  const n = Number(task.progress ?? 0);
  return Number.isFinite(n) ? Math.max(0, Math.min(100, Math.round(n))) : 0;
}

export function TaskStatusCell({ task }: { task: Task }) {
  const t = useT();
  switch (task.status) {
    case 'running':
      return (
        <div style={{ minWidth: 160 }}>
          <Progress percent={percentOf(task)} size="small" status="active" />
          <Typography.Text type="secondary" style={{ fontSize: 12 }}>
            {t(task.phase || 'running')}
          </Typography.Text>
        </div>
      );
    case 'failed':
      return (
        <Tooltip title={errorText(t, task) || undefined}>
          <Tag color="error">{t('failed')}</Tag>
        </Tooltip>
      );
    case 'succeeded':
      return <Tag color="success">{t('succeeded')}</Tag>;
    default:
      return (
        <Tag icon={<ClockCircleOutlined />} color="default">
          {t(task.status || 'pending')}
        </Tag>
      );
  }
}
