import { LoadingOutlined } from '@ant-design/icons';
import { Alert, Button, Progress, Result, Space, Typography } from 'antd';
import { useEffect } from 'react';
import { useTaskWatch } from '../hooks/useTaskWatch';
import { useT } from '../locale';
import type { TaskId } from '../types';
import { isFinished } from '../types';
import { moveSummary } from '../utils/moveSummary';
import { forgetRestore } from '../utils/restoreMarker';
import { errorText } from '../utils/taskError';

interface Props {
  restoreTaskId: TaskId;
  onFinished: () => void;
  onClose: () => void;
}

/** Step 3: follows the restore task through the restart until it has succeeded or failed. */
export function RestoreProgress({ restoreTaskId, onFinished, onClose }: Props) {
  const t = useT();
  const { task, unreachable, lastError } = useTaskWatch(restoreTaskId);
  const finished = !!task && isFinished(task);

  useEffect(() => {
    if (!finished) return;
    forgetRestore();
    onFinished();
  }, [finished, onFinished]);

  if (task?.status === 'succeeded') {
    // A move into another dialect: what moved, and what the admin must recreate by hand.
    const moved = moveSummary(task, t);
    return (
      <Result
        status="success"
        title={t('The application was restored.')}
        subTitle={t('Reload the page to see the restored data.')}
        extra={[
          ...(moved
            ? [
                <Alert
                  key="move"
                  type={moved.incomplete ? 'warning' : 'info'}
                  showIcon
                  style={{ textAlign: 'left', marginBottom: 16 }}
                  message={<div style={{ whiteSpace: 'pre-wrap' }}>{moved.lines.join('\n')}</div>}
                />,
              ]
            : []),
          <Button key="reload" type="primary" onClick={() => window.location.reload()}>
            {t('Reload page')}
          </Button>,
          <Button key="close" onClick={onClose}>
            {t('Close')}
          </Button>,
        ]}
      />
    );
  }

  if (task?.status === 'failed') {
    return (
      <Result
        status="error"
        title={t('The restore failed.')}
        subTitle={<span style={{ whiteSpace: 'pre-wrap' }}>{errorText(t, task)}</span>}
        extra={
          <Button type="primary" onClick={onClose}>
            {t('Close')}
          </Button>
        }
      />
    );
  }

  const percent = Math.max(0, Math.min(100, Math.round(Number(task?.progress ?? 0)) || 0));
  return (
    <Result
      icon={<LoadingOutlined />}
      title={t('Restoring… the application will restart')}
      subTitle={t('Keep this page open. The application is unavailable until the restore has finished.')}
      extra={
        <Space direction="vertical" style={{ width: '100%', textAlign: 'left' }}>
          <Progress percent={percent} status="active" />
          <Typography.Text type="secondary">{t(task?.phase || task?.status || 'pending')}</Typography.Text>
          {unreachable && (
            <Alert
              type="info"
              showIcon
              message={t('Waiting for the application to come back…')}
              description={lastError}
            />
          )}
        </Space>
      }
    />
  );
}
