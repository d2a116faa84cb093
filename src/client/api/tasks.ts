import type { AxiosResponse } from 'axios';
import { useMemo } from 'react';
import { TASKS } from '../../constants';
import { useApi } from '../shell';
import type { ArchiveSummary, ListMeta, RestoreSource, Task, TaskId } from '../types';
import { passwordHeaders } from './headers';
import { apiUrl } from '../utils/download';

export interface TaskPage {
  data: Task[];
  meta: ListMeta;
}

export interface BackupOptions {
  includeUploads: boolean;
  includePlugins: boolean;
  /** Collection names whose rows are left out. */
  excludeCollections?: string[];
  /** false: no off-site copy of this backup even though a storage is configured. */
  offsite?: boolean;
  /** Sub-application names, or ['*'] for all. */
  subApps?: string[];
  /** External data source keys. */
  dataSources?: string[];
  /** The admin's note, on the row and in the manifest. */
  note?: string;
}

/** What the backups folder held that the list did not (file names). */
export interface RefreshAnswer {
  found: string[];
  settling: string[];
  unreadable: string[];
  missing: string[];
}

export interface UploadResult {
  uploadId: string;
  summary: ArchiveSummary;
}

/** What the admin chose in the restore dialog. */
export interface RestoreChoices {
  password?: string;
  safetyBackup: boolean;
  /** 'main' and/or sub-application names; undefined restores the main application. */
  apps?: string[];
  dataSources?: string[];
  /** The acknowledgement that a backup made elsewhere may be restored. */
  trustForeign?: boolean;
  /** The pre-flight warnings were read and accepted (the server refuses a restore with warnings without it). */
  acceptWarnings?: boolean;
}

/** The `backupsManagerTasks` resource. Every call shows its own errors, so the shell's notification is skipped. */
export function useTasksApi() {
  const api = useApi();
  return useMemo(
    () => ({
      async list(page: number, pageSize: number): Promise<TaskPage> {
        const res = await api.request<TaskPage>({
          url: `${TASKS}:list`,
          params: { page, pageSize, sort: '-createdAt' },
          skipNotify: true,
        });
        return { data: res.data?.data ?? [], meta: res.data?.meta ?? { count: 0, page, pageSize, totalPage: 0 } };
      },

      /** Lists the archives of the configured off-site storage beside the local ones. */
      async syncOffsite(): Promise<{ added: string[]; gone: string[] }> {
        const res = await api.request<{ data: { added: string[]; gone: string[] } }>({
          url: `${TASKS}:syncOffsite`,
          method: 'post',
          skipNotify: true,
        });
        return res.data.data;
      },

      /** Undefined when the shell swallowed the answer (it does so while the application is in maintenance). */
      async get(id: TaskId): Promise<Task | undefined> {
        const res = await api.request<{ data?: Task }>({
          url: `${TASKS}:get`,
          params: { filterByTk: id },
          skipNotify: true,
        });
        return res?.data?.data;
      },

      async create(options: BackupOptions, password?: string): Promise<Task> {
        const res = await api.request<{ data: Task }>({
          url: `${TASKS}:create`,
          method: 'post',
          data: options,
          headers: passwordHeaders(password),
          skipNotify: true,
        });
        return res.data.data;
      },

      /** trustForeign: the admin's acknowledgement that a backup made elsewhere may be verified. */
      async verify(id: TaskId, password?: string, trustForeign?: boolean): Promise<Task | undefined> {
        const res = await api.request<{ data?: Task }>({
          url: `${TASKS}:verify`,
          method: 'post',
          params: { filterByTk: id },
          data: trustForeign ? { trustForeign: true } : {},
          headers: passwordHeaders(password),
          skipNotify: true,
        });
        return res.data?.data;
      },

      /** Keep forever (true) or hand the backup back to the retention policy (false). */
      async pin(id: TaskId, pinned: boolean): Promise<void> {
        await api.request({ url: `${TASKS}:pin`, method: 'post', params: { filterByTk: id }, data: { pinned }, skipNotify: true });
      },

      /** An empty note removes it. */
      async setNote(id: TaskId, note: string): Promise<void> {
        await api.request({ url: `${TASKS}:note`, method: 'post', params: { filterByTk: id }, data: { note }, skipNotify: true });
      },

      async destroy(id: TaskId): Promise<void> {
        await api.request({ url: `${TASKS}:destroy`, method: 'post', params: { filterByTk: id }, skipNotify: true });
      },

      /** A signed link to the archive, valid for a minute, that the browser opens by itself (no Blob). */
      async downloadLink(id: TaskId): Promise<string> {
        const res = await api.request<{ data: { url: string } }>({
          url: `${TASKS}:downloadLink`,
          method: 'post',
          params: { filterByTk: id },
          skipNotify: true,
        });
        return apiUrl(res.data.data.url, api.axios.defaults.baseURL, window.location.href);
      },

      /** Lists archives copied into the server's backups folder. */
      async refresh(): Promise<RefreshAnswer> {
        const res = await api.request<{ data: RefreshAnswer }>({ url: `${TASKS}:refresh`, method: 'post', skipNotify: true });
        return res.data.data;
      },

      async inspect(id: TaskId): Promise<ArchiveSummary> {
        const res = await api.request<{ data: { summary: ArchiveSummary } }>({
          url: `${TASKS}:inspect`,
          params: { filterByTk: id },
          skipNotify: true,
        });
        return res.data.data.summary;
      },

      async restore(
        source: RestoreSource,
        { password, safetyBackup, apps, dataSources, trustForeign, acceptWarnings }: RestoreChoices,
      ): Promise<Task> {
        const res = await api.request<{ data: Task }>({
          url: `${TASKS}:restore`,
          method: 'post',
          data: {
            ...source,
            safetyBackup,
            ...(apps ? { apps } : {}),
            ...(dataSources?.length ? { dataSources } : {}),
            ...(trustForeign ? { trustForeign: true } : {}),
            ...(acceptWarnings ? { acceptWarnings: true } : {}),
          },
          headers: passwordHeaders(password),
          skipNotify: true,
        });
        return res.data.data;
      },
    }),
    [api],
  );
}

export type TasksApi = ReturnType<typeof useTasksApi>;
