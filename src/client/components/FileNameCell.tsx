import { LockOutlined } from '@ant-design/icons';
import { Tooltip, Typography } from 'antd';
import { useT } from '../locale';
import type { Task } from '../types';
import { dialectLabel } from '../utils/dialects';

const secondary = { fontSize: 12 };

/** The whole name in the tooltip of a cut one, with a copy icon (the tooltip stays open while pointed at). */
function FullName({ name }: { name: string }) {
  return (
    <Typography.Text copyable={{ text: name }} style={{ color: 'inherit', wordBreak: 'break-all' }}>
      {name}
    </Typography.Text>
  );
}

/**
 * A task's archive name on one line: a long one is cut with an ellipsis (a CSS one: the page keeps the whole text,
 * for selecting) and shown whole in its tooltip. Below it, the database and NocoBase version.
 */
export function FileNameCell({ task }: { task: Task }) {
  const t = useT();
  const details = [dialectLabel(task.dialect), task.appVersion && `NocoBase ${task.appVersion}`].filter(Boolean).join(' · ');
  return (
    <div style={{ minWidth: 0 }}>
      <div style={{ display: 'flex', alignItems: 'center', minWidth: 0 }}>
        {task.encrypted && (
          <Tooltip title={t('Encrypted with a password')}>
            <LockOutlined style={{ marginRight: 6, flex: 'none' }} />
          </Tooltip>
        )}
        {task.fileName && (
          <Typography.Text style={{ minWidth: 0, flex: 1 }} ellipsis={{ tooltip: { title: <FullName name={task.fileName} />, placement: 'topLeft' } }}>
            {task.fileName}
          </Typography.Text>
        )}
      </div>
      {details && (
        <Typography.Text type="secondary" style={{ ...secondary, display: 'block' }} ellipsis={{ tooltip: details }}>
          {details}
        </Typography.Text>
      )}
    </div>
  );
}
