import { CloudSyncOutlined, CloudUploadOutlined, FolderOpenOutlined, PlusOutlined, ReloadOutlined } from '@ant-design/icons';
import { Alert, App, Button, Space, Tooltip } from 'antd';
import { useRequest } from 'ahooks';
import { useCallback, useEffect, useState } from 'react';
import { BackupNowModal } from '../components/BackupNowModal';
import { ReadinessPanel } from '../components/ReadinessPanel';
import { HealthPanel } from '../components/HealthPanel';
import { RestoreDialog, RestoreStart } from '../components/RestoreDialog';
import { TasksTable } from '../components/TasksTable';
import { readErrorMessage } from '../api/errors';
import { useSettingsApi } from '../api/settings';
import { useTasksApi } from '../api/tasks';
import { useTasks } from '../hooks/useTasks';
import { useT } from '../locale';
import type { Task } from '../types';
import { pendingRestore } from '../utils/restoreMarker';

function resumeRestore(): RestoreStart | null {
  const id = pendingRestore();
  return id === undefined ? null : { from: 'resume', restoreTaskId: id };
}

export function BackupsTab({ active = true }: { active?: boolean }) {
  const t = useT();
  const { tasks, count, page, pageSize, onPageChange, loading, error, reload } = useTasks();
  const [backupOpen, setBackupOpen] = useState(false);
  const [restore, setRestore] = useState<RestoreStart | null>(resumeRestore);
  const [loadError, setLoadError] = useState<string>();
  const { message } = App.useApp();
  const settingsApi = useSettingsApi();
  const tasksApi = useTasksApi();
  // Read whenever the tab is shown (below), not on mount as well.
  const { data: settings, run: reloadSettings } = useRequest(() => settingsApi.get().catch(() => undefined), {
    manual: true,
  });
  useEffect(() => {
    if (active) reloadSettings();
  }, [active, reloadSettings]);
  const offsiteStorage = settings?.offsiteStorage ?? null;
  const [syncing, setSyncing] = useState(false);
  const [scanning, setScanning] = useState(false);

  const lookForCopies = async () => {
    setScanning(true);
    try {
      const r = await tasksApi.refresh();
      const counts = { found: r.found.length, settling: r.settling.length, unreadable: r.unreadable.length, missing: r.missing.length };
      const text = t('Backups folder checked: {{found}} new, {{settling}} still being copied, {{unreadable}} unreadable, {{missing}} missing.', counts);
      if (counts.unreadable || counts.missing) message.warning(text);
      else message.success(text);
      refresh();
    } catch (e) {
      message.error(await readErrorMessage(e));
    } finally {
      setScanning(false);
    }
  };

  const syncOffsite = async () => {
    setSyncing(true);
    try {
      const { added, gone } = await tasksApi.syncOffsite();
      message.success(t('Off-site copies checked: {{added}} new, {{gone}} no longer there.', { added: added.length, gone: gone.length }));
      refresh();
    } catch (e) {
      message.error(await readErrorMessage(e));
    } finally {
      setSyncing(false);
    }
  };

  useEffect(() => {
    let cancelled = false;
    if (!error) setLoadError(undefined);
    else readErrorMessage(error).then((m) => !cancelled && setLoadError(m));
    return () => {
      cancelled = true;
    };
  }, [error]);

  const refresh = useCallback(() => {
    reload().catch(() => undefined);
  }, [reload]);
  const restoreTask = useCallback((task: Task) => setRestore({ from: 'backup', task }), []);
  const closeRestore = useCallback(() => setRestore(null), []);

  return (
    <>
      <ReadinessPanel />
      <HealthPanel active={active} tasks={tasks} onChanged={refresh} />
      <Space style={{ marginBottom: 16 }} wrap>
        <Button type="primary" icon={<PlusOutlined />} onClick={() => setBackupOpen(true)}>
          {t('Backup now')}
        </Button>
        <Button icon={<CloudUploadOutlined />} onClick={() => setRestore({ from: 'upload' })}>
          {t('Upload and restore')}
        </Button>
        {offsiteStorage && (
          <Button icon={<CloudSyncOutlined />} loading={syncing} onClick={syncOffsite}>
            {t('Check off-site copies')}
          </Button>
        )}
        <Tooltip
          title={t('Lists archives copied into the backups folder on the server (scp, rclone); files changed in the last 30 seconds are left for the next look.')}
        >
          <Button icon={<FolderOpenOutlined />} loading={scanning} onClick={lookForCopies}>
            {t('Look for copied-in backups')}
          </Button>
        </Tooltip>
        <Tooltip title={t('Refresh')}>
          <Button icon={<ReloadOutlined />} loading={loading} onClick={refresh} aria-label={t('Refresh')} />
        </Tooltip>
      </Space>
      {/* While the application restarts the list cannot be read: the rows already shown stay. */}
      {loadError && !tasks.length && <Alert style={{ marginBottom: 16 }} type="error" showIcon message={loadError} />}
      <TasksTable
        tasks={tasks}
        loading={loading}
        page={page}
        pageSize={pageSize}
        count={count}
        onPageChange={onPageChange}
        onRestore={restoreTask}
        onChanged={refresh}
      />
      <BackupNowModal
        open={backupOpen}
        onClose={() => setBackupOpen(false)}
        onCreated={refresh}
        offsiteStorage={offsiteStorage}
      />
      <RestoreDialog start={restore} onClose={closeRestore} onFinished={refresh} />
    </>
  );
}
