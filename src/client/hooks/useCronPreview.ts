import { useDebounce, useRequest } from 'ahooks';
import { readErrorMessage } from '../api/errors';
import { useSettingsApi } from '../api/settings';
import type { CronPreview } from '../types';

const SEP = '\u0000';

/** Asks the server for the next runs of an expression, 300 ms after the last keystroke. */
export function useCronPreview(cron: string | undefined, timezone: string | undefined) {
  const api = useSettingsApi();
  const key = `${(cron ?? '').trim()}${SEP}${timezone ?? ''}`;
  const debounced = useDebounce(key, { wait: 300 });
  const [dCron, dZone] = debounced.split(SEP);
  const { data } = useRequest(
    async (): Promise<CronPreview & { key: string }> => {
      try {
        return { ...(await api.preview(dCron, dZone)), key: debounced };
      } catch (error) {
        return { valid: false, error: await readErrorMessage(error), nextRuns: [], key: debounced };
      }
    },
    { refreshDeps: [debounced], ready: !!dCron && !!dZone },
  );
  // Only an answer for the expression on screen is shown: never an older one while the next is on its way.
  const preview = data && data.key === key ? data : undefined;
  return { preview, checking: !!(cron ?? '').trim() && !preview };
}
