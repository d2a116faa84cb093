import { App, Typography } from 'antd';
import { readErrorMessage } from '../api/errors';
import { useTasksApi } from '../api/tasks';
import { useT } from '../locale';
import type { Task } from '../types';

/** Same limit as the server (tasks/note.ts). */
export const NOTE_MAX = 500;

/** A backup's note, edited in place (an empty note removes it). */
export function NoteCell({ task, onChanged }: { task: Task; onChanged: () => void }) {
  const t = useT();
  const api = useTasksApi();
  const { message } = App.useApp();
  if (task.kind !== 'backup') return null;
  const save = async (value: string) => {
    if (value.trim() === (task.note ?? '')) return;
    try {
      await api.setNote(task.id, value);
      onChanged();
    } catch (e) {
      message.error(await readErrorMessage(e));
    }
  };
  return (
    <Typography.Text
      data-testid={`note-${task.id}`}
      type={task.note ? undefined : 'secondary'}
      style={{ maxWidth: 220, display: 'inline-block', wordBreak: 'break-word' }}
      editable={{ onChange: save, maxLength: NOTE_MAX, tooltip: t('Edit note'), text: task.note ?? '' }}
    >
      {task.note || ''}
    </Typography.Text>
  );
}
