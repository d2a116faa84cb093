import { App, Switch, Tooltip } from 'antd';
import { useState } from 'react';
import { readErrorMessage } from '../api/errors';
import { useTasksApi } from '../api/tasks';
import { useT } from '../locale';
import type { Task } from '../types';

/** Keep forever: a pinned backup is never deleted by a retention policy (only by hand). */
export function PinToggle({ task, onChanged }: { task: Task; onChanged: () => void }) {
  const t = useT();
  const api = useTasksApi();
  const { message } = App.useApp();
  const [saving, setSaving] = useState(false);
  if (task.kind !== 'backup' || task.status !== 'succeeded') return null;
  const toggle = async (pinned: boolean) => {
    setSaving(true);
    try {
      await api.pin(task.id, pinned);
      onChanged();
    } catch (e) {
      message.error(await readErrorMessage(e));
    } finally {
      setSaving(false);
    }
  };
  return (
    <Tooltip title={t('Keep forever: no retention policy deletes this backup')}>
      <Switch
        size="small"
        aria-label={t('Keep forever')}
        data-testid={`pin-${task.id}`}
        checked={!!task.pinned}
        loading={saving}
        onChange={toggle}
      />
    </Tooltip>
  );
}
