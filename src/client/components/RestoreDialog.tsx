import { Alert, Button, Modal, Spin, Steps } from 'antd';
import { useCallback, useEffect, useState } from 'react';
import type { ReactNode } from 'react';
import { readErrorMessage } from '../api/errors';
import { RestoreChoices, UploadResult, useTasksApi } from '../api/tasks';
import { useT } from '../locale';
import type { ArchiveSummary, RestoreSource, Task, TaskId } from '../types';
import { SCROLLING_BODY } from '../utils/dialogBody';
import { refusedPreflight } from '../utils/preflight';
import { forgetRestore, rememberRestore } from '../utils/restoreMarker';
import { RestoreConfirm } from './RestoreConfirm';
import { RestoreProgress } from './RestoreProgress';
import { RestoreUpload } from './RestoreUpload';

/** How the dialog opens: on a backup of the list, on an upload, or on a restore already running (page reloaded). */
export type RestoreStart =
  { from: 'backup'; task: Task } | { from: 'upload' } | { from: 'resume'; restoreTaskId: TaskId };

type Stage =
  | { step: 'upload' }
  | { step: 'inspect'; task: Task }
  | { step: 'confirm'; source: RestoreSource; summary: ArchiveSummary; name?: string }
  | { step: 'progress'; restoreTaskId: TaskId };

function firstStage(start: RestoreStart): Stage {
  if (start.from === 'backup') return { step: 'inspect', task: start.task };
  if (start.from === 'resume') return { step: 'progress', restoreTaskId: start.restoreTaskId };
  return { step: 'upload' };
}

const STEP_INDEX: Record<Stage['step'], number> = { upload: 0, inspect: 0, confirm: 1, progress: 2 };

interface Props {
  start: RestoreStart | null;
  onClose: () => void;
  /** The restore has ended (either way): time to re-read the list. */
  onFinished: () => void;
}

export function RestoreDialog({ start, onClose, onFinished }: Props) {
  const t = useT();
  const [submitting, setSubmitting] = useState(false);
  const close = useCallback(() => {
    forgetRestore();
    onClose();
  }, [onClose]);
  return (
    <Modal
      open={!!start}
      title={t('Restore')}
      footer={null}
      width={640}
      maskClosable={false}
      closable={!submitting}
      keyboard={!submitting}
      onCancel={close}
      destroyOnClose
      styles={{ body: SCROLLING_BODY }}
    >
      {start && <RestoreFlow start={start} onClose={close} onFinished={onFinished} onSubmitting={setSubmitting} />}
    </Modal>
  );
}

interface FlowProps {
  start: RestoreStart;
  onClose: () => void;
  onFinished: () => void;
  onSubmitting: (submitting: boolean) => void;
}

function RestoreFlow({ start, onClose, onFinished, onSubmitting }: FlowProps) {
  const t = useT();
  const api = useTasksApi();
  const [stage, setStage] = useState<Stage>(() => firstStage(start));
  const [error, setError] = useState<string>();
  const [submitting, setSubmitting] = useState(false);

  useEffect(() => onSubmitting(submitting), [submitting, onSubmitting]);

  // A backup of the list: read its summary first.
  useEffect(() => {
    if (stage.step !== 'inspect') return undefined;
    let cancelled = false;
    const { task } = stage;
    api.inspect(task.id).then(
      (summary) => {
        if (!cancelled)
          setStage({ step: 'confirm', source: { taskId: task.id }, summary, name: task.fileName ?? undefined });
      },
      async (e) => {
        const message = await readErrorMessage(e);
        if (!cancelled) setError(message);
      },
    );
    return () => {
      cancelled = true;
    };
  }, [api, stage]);

  const uploaded = useCallback((result: UploadResult, name: string) => {
    setError(undefined);
    setStage({ step: 'confirm', source: { uploadId: result.uploadId }, summary: result.summary, name });
  }, []);

  const confirm = async (choices: RestoreChoices) => {
    if (stage.step !== 'confirm') return;
    setSubmitting(true);
    setError(undefined);
    try {
      const task = await api.restore(stage.source, choices);
      rememberRestore(task.id);
      setStage({ step: 'progress', restoreTaskId: task.id });
      onFinished();
    } catch (e) {
      const message = await readErrorMessage(e);
      // The server removes an uploaded file once its restore is refused: choose the file again.
      if ('uploadId' in stage.source) {
        setStage({ step: 'upload' });
        setError(`${message} ${t('The uploaded file was removed: choose it again to retry.')}`);
      } else {
        // Refused by the pre-flight: show the report the server checked against (and its tick, for warnings).
        const preflight = refusedPreflight(e);
        if (preflight) setStage({ ...stage, summary: { ...stage.summary, preflight } });
        setError(message);
      }
    } finally {
      setSubmitting(false);
    }
  };

  let body: ReactNode;
  switch (stage.step) {
    case 'upload':
      body = (
        <>
          {error && <Alert style={{ marginBottom: 16 }} type="error" showIcon message={error} />}
          <RestoreUpload onUploaded={uploaded} />
        </>
      );
      break;
    case 'inspect':
      body = error ? (
        <>
          <Alert type="error" showIcon message={error} />
          <div style={{ textAlign: 'right', marginTop: 16 }}>
            <Button onClick={onClose}>{t('Close')}</Button>
          </div>
        </>
      ) : (
        <div style={{ textAlign: 'center', padding: 32 }}>
          <Spin tip={t('Reading the backup…')}>
            <div style={{ height: 48 }} />
          </Spin>
        </div>
      );
      break;
    case 'confirm':
      body = (
        <RestoreConfirm
          summary={stage.summary}
          name={stage.name}
          submitting={submitting}
          error={error}
          onConfirm={confirm}
          onCancel={onClose}
        />
      );
      break;
    default:
      body = <RestoreProgress restoreTaskId={stage.restoreTaskId} onFinished={onFinished} onClose={onClose} />;
  }

  return (
    <>
      <Steps
        size="small"
        style={{ margin: '8px 0 24px' }}
        current={STEP_INDEX[stage.step]}
        items={[{ title: t('Choose the backup') }, { title: t('Confirm') }, { title: t('Restore') }]}
      />
      {body}
    </>
  );
}
