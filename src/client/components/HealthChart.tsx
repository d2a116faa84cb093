import { Typography } from 'antd';
import { useT } from '../locale';
import type { HealthFacts } from '../api/health';
import { formatSize, formatTime } from '../utils/format';
import { chartGeometry, formatDuration } from '../utils/healthChart';

const W = 600;
const H = 120;
const SIZE_COLOR = '#91caff';
const DURATION_COLOR = '#fa8c16';

/** Size (bars) and duration (line) of the last backups, oldest on the left: a hand-made SVG, no chart library. */
export function HealthChart({ points }: { points: HealthFacts['chart'] }) {
  const t = useT();
  if (!points.length) return <Typography.Text type="secondary">{t('No backup to chart yet.')}</Typography.Text>;
  // A third of each slot left empty: the duration line stays readable over bars of similar height.
  const g = chartGeometry(points, W, H, W / points.length / 3);
  return (
    <div data-testid="health-chart">
      <Typography.Text type="secondary" style={{ fontSize: 12 }}>
        <span style={{ color: SIZE_COLOR }}>■</span> {t('Size (max {{size}})', { size: formatSize(g.maxSize) })}
        {'   '}
        <span style={{ color: DURATION_COLOR }}>━</span> {t('Duration (max {{duration}})', { duration: formatDuration(g.maxDuration) })}
      </Typography.Text>
      <svg
        viewBox={`0 0 ${W} ${H}`}
        preserveAspectRatio="none"
        role="img"
        aria-label={t('Size and duration of the last {{count}} backups', { count: points.length })}
        style={{ width: '100%', height: H, display: 'block', borderBottom: '1px solid #d9d9d9' }}
      >
        {g.bars.map((b, i) => (
          <rect key={String(points[i].id)} x={b.x} y={b.y} width={b.width} height={b.height} fill={SIZE_COLOR}>
            <title>
              {`${formatTime(points[i].at, 'YYYY-MM-DD HH:mm')} · ${formatSize(points[i].size)} · ${formatDuration(points[i].durationSeconds)}`}
            </title>
          </rect>
        ))}
        {g.line && (
          <polyline points={g.line} fill="none" stroke={DURATION_COLOR} strokeWidth={2} vectorEffect="non-scaling-stroke" />
        )}
      </svg>
      <div style={{ display: 'flex', justifyContent: 'space-between' }}>
        <Typography.Text type="secondary" style={{ fontSize: 12 }}>
          {formatTime(points[0].at, 'YYYY-MM-DD')}
        </Typography.Text>
        <Typography.Text type="secondary" style={{ fontSize: 12 }}>
          {formatTime(points[points.length - 1].at, 'YYYY-MM-DD')}
        </Typography.Text>
      </div>
    </div>
  );
}
