import { useMemo } from 'react';
import { SETTINGS, TASKS } from '../../constants';
import type { HealthFacts } from '../../server/health/assemble';
import { useApi } from '../shell';
import type { Task } from '../types';

export type { HealthFacts };

/** The health panel's facts, and Run drill now. */
export function useHealthApi() {
  const api = useApi();
  return useMemo(
    () => ({
      async get(): Promise<HealthFacts> {
        const res = await api.request<{ data: HealthFacts }>({ url: `${SETTINGS}:health`, skipNotify: true });
        return res.data.data;
      },
      async runDrill(): Promise<Task> {
        const res = await api.request<{ data: Task }>({ url: `${TASKS}:drill`, method: 'post', skipNotify: true });
        return res.data.data;
      },
    }),
    [api],
  );
}
