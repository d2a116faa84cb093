import { Alert } from 'antd';
import { useT } from '../locale';
import type { LastRun } from '../types';
import { formatTime } from '../utils/format';
import { errorText } from '../utils/taskError';

/** How the latest automatic backup went. */
export function LastRunAlert({ lastRun }: { lastRun?: LastRun | null }) {
  const t = useT();
  const style = { marginBottom: 24 };
  if (!lastRun) return <Alert style={style} type="info" showIcon message={t('No automatic backup has run yet.')} />;
  const time = formatTime(lastRun.finishedAt);
  switch (lastRun.status) {
    case 'failed':
      return (
        <Alert
          style={style}
          type="error"
          showIcon
          message={t('The last automatic backup failed ({{time}}).', { time })}
          description={<span style={{ whiteSpace: 'pre-wrap' }}>{errorText(t, lastRun)}</span>}
        />
      );
    case 'succeeded':
      return (
        <Alert
          style={style}
          type="success"
          showIcon
          message={t('The last automatic backup succeeded ({{time}}).', { time })}
        />
      );
    default:
      return <Alert style={style} type="info" showIcon message={t('An automatic backup is running.')} />;
  }
}
