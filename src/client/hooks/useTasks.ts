import { useRequest } from 'ahooks';
import { useCallback, useEffect, useRef, useState } from 'react';
import { useTasksApi } from '../api/tasks';
import { isActive } from '../types';

export const POLL_MS = 2000;
const DEFAULT_PAGE_SIZE = 20;

/** One page of tasks, newest first, re-read every 2 s while any task on it is pending or running. */
export function useTasks() {
  const api = useTasksApi();
  const [page, setPage] = useState(1);
  const [pageSize, setPageSize] = useState(DEFAULT_PAGE_SIZE);
  const polling = useRef(false);
  const { data, error, loading, refresh, refreshAsync } = useRequest(() => api.list(page, pageSize), {
    refreshDeps: [page, pageSize],
    onFinally: () => {
      polling.current = false;
    },
  });

  const active = !!data?.data.some(isActive);
  // Chained rather than on an interval, so that a slow answer is never overtaken by the next request.
  useEffect(() => {
    if (!active || loading) return undefined;
    const timer = setTimeout(() => {
      polling.current = true;
      refresh();
    }, POLL_MS);
    return () => clearTimeout(timer);
  }, [active, loading, refresh]);

  const onPageChange = useCallback(
    (nextPage: number, nextSize: number) => {
      setPage(nextSize === pageSize ? nextPage : 1);
      setPageSize(nextSize);
    },
    [pageSize],
  );

  return {
    tasks: data?.data ?? [],
    count: Number(data?.meta.count ?? 0),
    page,
    pageSize,
    onPageChange,
    error,
    /** True for a first load, a page change or a refresh the admin asked for; not for background polling. */
    loading: loading && !polling.current,
    reload: refreshAsync,
  };
}
