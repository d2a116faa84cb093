import { LoadingOutlined } from '@ant-design/icons';
import { Typography } from 'antd';
import { useLanguage, useT } from '../locale';
import type { CronPreview } from '../types';
import { formatTime } from '../utils/format';

const SHOWN = 5;

function weekday(iso: string, language: string): string {
  try {
    return new Intl.DateTimeFormat(language, { weekday: 'short' }).format(new Date(iso));
  } catch {
    return '';
  }
}

/** The next runs of the schedule being edited, in the admin's own time zone. */
export function NextRuns({ preview, checking }: { preview?: CronPreview; checking: boolean }) {
  const t = useT();
  const language = useLanguage();
  if (checking) {
    return (
      <Typography.Text type="secondary">
        <LoadingOutlined style={{ marginRight: 6 }} />
        {t('Checking the schedule…')}
      </Typography.Text>
    );
  }
  if (!preview?.valid) return null;
  const runs = preview.nextRuns.slice(0, SHOWN);
  if (!runs.length) return <Typography.Text type="secondary">{t('This schedule never runs.')}</Typography.Text>;
  return (
    <div>
      <Typography.Text type="secondary">{t('Next runs (your local time):')}</Typography.Text>
      <ul style={{ margin: '4px 0 0', paddingLeft: 20 }}>
        {runs.map((run) => (
          <li key={run}>
            <Typography.Text type="secondary">
              {formatTime(run, 'YYYY-MM-DD HH:mm')} {weekday(run, language)}
            </Typography.Text>
          </li>
        ))}
      </ul>
    </div>
  );
}
