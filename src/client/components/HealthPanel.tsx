import { ExperimentOutlined } from '@ant-design/icons';
import { App, Button, Card, Col, Progress, Row, Space, Tag, Typography } from 'antd';
import { useRequest } from 'ahooks';
import { useEffect, useState, type ReactNode } from 'react';
import { readErrorMessage } from '../api/errors';
import { useHealthApi, type HealthFacts } from '../api/health';
import { useT, type TFunction } from '../locale';
import type { Task } from '../types';
import { formatSize, formatTime } from '../utils/format';
import { formatAge } from '../utils/healthChart';
import { HealthChart } from './HealthChart';

const LEVEL_COLOR = { green: '#52c41a', orange: '#fa8c16', red: '#ff4d4f' } as const;

const REASON: Record<HealthFacts['protection']['reasons'][number], string> = {
  NO_GOOD_BACKUP: 'No successful backup yet.',
  STALE: 'The last successful backup is older than the threshold.',
  LAST_FAILED: 'The newest backup failed.',
  SCHEDULE_OFF: 'Automatic backups are off.',
};

function Fact({ title, children }: { title: string; children: ReactNode }) {
  return (
    <Col xs={24} sm={12} lg={8} xl={4}>
      <Typography.Text type="secondary" style={{ fontSize: 12 }}>
        {title}
      </Typography.Text>
      <div>{children}</div>
    </Col>
  );
}

function ageText(t: TFunction, hours: number): string {
  const { value, unit } = formatAge(hours);
  return unit === 'h' ? t('{{value}} h ago', { value }) : t('{{value}} days ago', { value });
}

function Protection({ p }: { p: HealthFacts['protection'] }) {
  const t = useT();
  const label = p.level === 'red' ? t('Not protected') : t('Protected');
  return (
    <Space direction="vertical" size={0} data-testid="health-protection" data-level={p.level}>
      <Tag color={LEVEL_COLOR[p.level]} style={{ fontSize: 14, padding: '2px 10px' }}>
        {label}
      </Tag>
      <Typography.Text style={{ fontSize: 12 }}>
        {p.ageHours === null
          ? t('No successful backup yet.')
          : t('Last good backup {{age}} (alert after {{threshold}} h)', { age: ageText(t, p.ageHours), threshold: p.thresholdHours })}
      </Typography.Text>
      {p.reasons
        .filter((r) => r !== 'NO_GOOD_BACKUP')
        .map((r) => (
          <Typography.Text key={r} type="secondary" style={{ fontSize: 12 }}>
            {t(REASON[r])}
          </Typography.Text>
        ))}
    </Space>
  );
}

function LastDrill({ drill }: { drill: HealthFacts['drill'] }) {
  const t = useT();
  const last = drill.last;
  return (
    <Space direction="vertical" size={0} data-testid="health-drill">
      {last ? (
        <span>
          <Tag color={last.status === 'succeeded' ? 'success' : last.status === 'failed' ? 'error' : 'processing'}>
            {t(last.status)}
          </Tag>
          <Typography.Text style={{ fontSize: 12 }}>{formatTime(last.at, 'YYYY-MM-DD HH:mm')}</Typography.Text>
        </span>
      ) : (
        <Typography.Text>{t('No drill yet')}</Typography.Text>
      )}
      <Typography.Text type="secondary" style={{ fontSize: 12 }}>
        {drill.nextRun ? t('Next: {{time}}', { time: formatTime(drill.nextRun, 'YYYY-MM-DD HH:mm') }) : t('Scheduled drills are off')}
      </Typography.Text>
    </Space>
  );
}

function Offsite({ o }: { o: HealthFacts['offsite'] }) {
  const t = useT();
  if (o.state === 'none') return <Typography.Text type="secondary">{t('Not configured')}</Typography.Text>;
  const tag =
    o.state === 'ok' ? <Tag color="success">{t('Uploads OK')}</Tag> : o.state === 'failing' ? <Tag color="error">{t('Failing')}</Tag> : <Tag>{t('No upload yet')}</Tag>;
  return (
    <Space direction="vertical" size={0} data-testid="health-offsite" data-state={o.state}>
      <span>
        {tag}
        <Typography.Text style={{ fontSize: 12 }}>{o.storage}</Typography.Text>
      </span>
      {o.at && <Typography.Text type="secondary" style={{ fontSize: 12 }}>{formatTime(o.at, 'YYYY-MM-DD HH:mm')}</Typography.Text>}
      {o.error && <Typography.Text type="danger" style={{ fontSize: 12 }} ellipsis={{ tooltip: o.error }}>{o.error}</Typography.Text>}
    </Space>
  );
}

function SpaceUsed({ s }: { s: HealthFacts['space'] }) {
  const t = useT();
  if (!s) return <Typography.Text type="secondary">{t('Unknown')}</Typography.Text>;
  const total = s.usedBytes + s.freeBytes;
  const percent = total > 0 ? Math.max(1, Math.round((s.usedBytes / total) * 100)) : 0;
  return (
    <div data-testid="health-space">
      <Typography.Text style={{ fontSize: 12 }}>
        {t('{{used}} in {{count}} archives, {{free}} free', { used: formatSize(s.usedBytes) || '0 B', count: s.archives, free: formatSize(s.freeBytes) })}
      </Typography.Text>
      <Progress percent={percent} size="small" showInfo={false} status={s.freeBytes < s.usedBytes ? 'exception' : 'normal'} />
    </div>
  );
}

/**
 * The Backups tab's health panel: protected or not, next run, last drill, off-site copies, space, and the trend of
 * the last backups. `tasks`: the list below, whose changes (a backup or drill ended) refresh the panel; `onChanged`
 * reloads that list.
 */
export function HealthPanel(props: { active?: boolean; tasks?: Pick<Task, 'id' | 'status'>[]; onChanged?: () => void }) {
  const { active = true, tasks = [], onChanged } = props;
  const t = useT();
  const api = useHealthApi();
  const { message } = App.useApp();
  const [drilling, setDrilling] = useState(false);
  const { data, run } = useRequest(() => api.get().catch(() => undefined), { manual: true, pollingInterval: 30000 });
  // Read again when a task of the list below started or ended, not on every poll of the list.
  const changed = tasks.map((x) => `${x.id}:${x.status}`).join(',');
  useEffect(() => {
    if (active) run();
  }, [active, run, changed]);

  const runDrill = async () => {
    setDrilling(true);
    try {
      const task = await api.runDrill();
      if (task?.status === 'failed') message.warning(task.error || t('The restore drill could not start.'));
      else message.success(t('Restore drill started: it is listed below.'));
      run();
      // The list below shows the drill and follows it until it ends.
      onChanged?.();
    } catch (e) {
      message.error(await readErrorMessage(e));
    } finally {
      setDrilling(false);
    }
  };

  if (!data) return null;
  return (
    <Card
      size="small"
      style={{ marginBottom: 16 }}
      data-testid="health-panel"
      title={t('Backup health')}
      extra={
        <Button size="small" icon={<ExperimentOutlined />} loading={drilling} onClick={runDrill}>
          {t('Run drill now')}
        </Button>
      }
    >
      <Row gutter={[24, 16]}>
        <Fact title={t('Protection')}>
          <Protection p={data.protection} />
        </Fact>
        <Fact title={t('Next scheduled backup')}>
          <Typography.Text>
            {data.schedule.nextRun ? formatTime(data.schedule.nextRun, 'YYYY-MM-DD HH:mm') : t('Automatic backups are off.')}
          </Typography.Text>
        </Fact>
        <Fact title={t('Last restore drill')}>
          <LastDrill drill={data.drill} />
        </Fact>
        <Fact title={t('Off-site copies')}>
          <Offsite o={data.offsite} />
        </Fact>
        <Fact title={t('Space used by backups')}>
          <SpaceUsed s={data.space} />
        </Fact>
      </Row>
      <div style={{ marginTop: 16 }}>
        <Typography.Text type="secondary" style={{ fontSize: 12 }}>
          {t('Last {{count}} backups', { count: data.chart.length })}
        </Typography.Text>
        <HealthChart points={data.chart} />
      </div>
    </Card>
  );
}
