import { useMemo } from 'react';
import { SETTINGS, SETTINGS_ROW_ID } from '../../constants';
import { useApi } from '../shell';
import type { CronPreview, DataSourceChoice, EmailChannelChoice, ReadinessReport, RetentionPreview, ScheduleSettings, ScheduleUpdate, StorageChoice, SubAppChoice } from '../types';
import { passwordHeaders } from './headers';

/** The `backupsManagerSettings` resource (automatic backups). */
export function useSettingsApi() {
  const api = useApi();
  return useMemo(
    () => ({
      async get(): Promise<ScheduleSettings> {
        const res = await api.request<{ data: ScheduleSettings }>({ url: `${SETTINGS}:get`, skipNotify: true });
        return res.data.data;
      },

      async update(values: ScheduleUpdate, password?: string): Promise<void> {
        await api.request({
          url: `${SETTINGS}:update`,
          method: 'post',
          params: { filterByTk: SETTINGS_ROW_ID },
          data: values,
          headers: passwordHeaders(password),
          skipNotify: true,
        });
      },

      async dataSources(): Promise<DataSourceChoice[]> {
        const res = await api.request<{ data: DataSourceChoice[] }>({ url: `${SETTINGS}:dataSources`, skipNotify: true });
        return res.data.data ?? [];
      },

      async apps(): Promise<SubAppChoice[]> {
        const res = await api.request<{ data: SubAppChoice[] }>({ url: `${SETTINGS}:apps`, skipNotify: true });
        return res.data.data ?? [];
      },

      async storages(): Promise<StorageChoice[]> {
        const res = await api.request<{ data: StorageChoice[] }>({ url: `${SETTINGS}:storages`, skipNotify: true });
        return res.data.data ?? [];
      },

      async readiness(): Promise<ReadinessReport> {
        const res = await api.request<{ data: ReadinessReport }>({ url: `${SETTINGS}:readiness`, skipNotify: true });
        return res.data.data;
      },

      /** Read-only: the backups an unsaved retention policy would delete now. */
      async retentionPreview(policy: Partial<ScheduleUpdate>): Promise<RetentionPreview> {
        const res = await api.request<{ data: RetentionPreview }>({
          url: `${SETTINGS}:retentionPreview`,
          method: 'post',
          data: policy,
          skipNotify: true,
        });
        return res.data.data;
      },

      async emailChannels(): Promise<EmailChannelChoice[]> {
        const res = await api.request<{ data: EmailChannelChoice[] }>({ url: `${SETTINGS}:emailChannels`, skipNotify: true });
        return res.data.data ?? [];
      },

      async preview(cron: string, timezone: string): Promise<CronPreview> {
        const res = await api.request<{ data: CronPreview }>({
          url: `${SETTINGS}:preview`,
          params: { cron, timezone },
          skipNotify: true,
        });
        return res.data.data;
      },
    }),
    [api],
  );
}
