import { ClockCircleOutlined, WarningOutlined } from '@ant-design/icons';
import { Progress, Tag, Tooltip, Typography } from 'antd';
import { useT } from '../locale';
import type { Task } from '../types';
import { moveSummary } from '../utils/moveSummary';
import { taskSkippedFiles } from '../utils/skippedFiles';
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
        <div style={{ minWidth: 120 }}>
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
    case 'succeeded': {
      // A restore that moved the data into another dialect says so, and what did not move (a warning then).
      const moved = moveSummary(task, t);
      if (moved) {
        return (
          <Tooltip title={<div style={{ whiteSpace: 'pre-wrap' }}>{moved.lines.join('\n')}</div>}>
            <Tag color={moved.incomplete ? 'warning' : 'success'} icon={moved.incomplete ? <WarningOutlined /> : undefined}>
              {t('succeeded')} · {moved.label}
            </Tag>
          </Tooltip>
        );
      }
      // A backup that left files out (symlinks, FIFOs, unsafe names) says so instead of a plain success.
      const skipped = taskSkippedFiles(task, t);
      if (!skipped) return <Tag color="success">{t('succeeded')}</Tag>;
      return (
        <Tooltip title={<div style={{ whiteSpace: 'pre-wrap' }}>{skipped.lines.join('\n')}</div>}>
          <Tag color="warning" icon={<WarningOutlined />}>
            {t('succeeded')} · {skipped.label}
          </Tag>
        </Tooltip>
      );
    }
    default:
      return (
        <Tag icon={<ClockCircleOutlined />} color="default">
          {t(task.status || 'pending')}
        </Tag>
      );
  }
}
