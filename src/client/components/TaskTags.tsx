import { Space, Tag } from 'antd';
import { useT } from '../locale';
import type { Task, TaskKind, TaskOrigin } from '../types';

const KIND_LABEL: Record<TaskKind, string> = { backup: 'Backup', restore: 'Restore', verify: 'Verify', drill: 'Restore drill' };
const KIND_COLOR: Record<TaskKind, string> = { backup: 'blue', restore: 'orange', verify: 'purple', drill: 'cyan' };
const ORIGIN_LABEL: Record<TaskOrigin, string> = {
  manual: 'Manual',
  scheduled: 'Scheduled',
  safety: 'Safety',
  upload: 'Upload',
  cli: 'Command line',
};

/** What the task is (backup, restore, verify) and what started it. */
export function TaskTags({ task }: { task: Task }) {
  const t = useT();
  return (
    <Space size={4} wrap>
      <Tag color={KIND_COLOR[task.kind]}>{t(KIND_LABEL[task.kind] ?? task.kind)}</Tag>
      {task.origin && <Tag>{t(ORIGIN_LABEL[task.origin] ?? task.origin)}</Tag>}
    </Space>
  );
}
