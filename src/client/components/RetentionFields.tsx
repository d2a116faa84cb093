import { Alert, Form, InputNumber, List, Space, Spin, Typography } from 'antd';
import { useDebounce, useRequest } from 'ahooks';
import { readErrorMessage } from '../api/errors';
import { useSettingsApi } from '../api/settings';
import { useT } from '../locale';
import type { RetentionPreview, ScheduleUpdate } from '../types';
import { formatSize, formatTime } from '../utils/format';

// The retention policy of the schedule tab (restic-style rules) and, under it, what the unsaved policy would delete.

const RULES = [
  ['keepDaily', 'Daily: the newest of each of the last N days'],
  ['keepWeekly', 'Weekly: the newest of each of the last N weeks'],
  ['keepMonthly', 'Monthly: the newest of each of the last N months'],
  ['keepYearly', 'Yearly: the newest of each of the last N years'],
] as const;

const POLICY_KEYS = ['keepLast', 'maxAgeDays', 'timezone', 'keepDaily', 'keepWeekly', 'keepMonthly', 'keepYearly'] as const;
type Policy = Pick<ScheduleUpdate, (typeof POLICY_KEYS)[number]>;

export function RetentionFields() {
  const t = useT();
  const form = Form.useFormInstance();
  const number = { min: 0, precision: 0, style: { width: 120 }, placeholder: t('Off') };
  return (
    <>
      <Form.Item
        label={t('Keep the last N scheduled backups')}
        name="keepLast"
        dependencies={RULES.map(([key]) => key)}
        rules={[
          { required: true, message: t('Keep at least one backup.') },
          {
            // 0 only beside a calendar rule (the server checks the same).
            validator: async (_, value) => {
              const rules = RULES.some(([key]) => Number(form.getFieldValue(key)) > 0);
              if (Number(value) < 1 && !rules) throw new Error(t('Keep at least one backup.'));
            },
          },
        ]}
        extra={t(
          'Older scheduled backups are deleted after each automatic backup. Manual backups are never deleted.',
        )}
      >
        <InputNumber min={0} precision={0} style={{ width: 160 }} />
      </Form.Item>
      <Form.Item
        label={t('Also keep, by calendar')}
        extra={t(
          'A backup stays when any rule keeps it. Periods without a backup are not counted. Days, weeks (Monday to Sunday), months and years are those of the time zone above.',
        )}
      >
        <Space wrap size={[16, 8]}>
          {RULES.map(([key, label]) => (
            <Form.Item key={key} name={key} label={t(label)} style={{ marginBottom: 0 }}>
              <InputNumber {...number} />
            </Form.Item>
          ))}
        </Space>
      </Form.Item>
      <Form.Item
        label={t('Also delete scheduled backups older than D days')}
        name="maxAgeDays"
        extra={t('Optional. Leave empty to delete by number only.')}
      >
        <InputNumber min={1} precision={0} style={{ width: 160 }} placeholder={t('Optional')} />
      </Form.Item>
      <RetentionPreviewList />
    </>
  );
}

/** What the policy on screen would delete now, asked 400 ms after the last change; read-only. */
function RetentionPreviewList() {
  const t = useT();
  const api = useSettingsApi();
  const form = Form.useFormInstance();
  const values = Form.useWatch([], form) as Record<string, unknown> | undefined;
  const policy: Policy = Object.fromEntries(
    POLICY_KEYS.map((k) => [k, values?.[k] === undefined || values?.[k] === '' ? null : values[k]]),
  ) as Policy;
  const key = JSON.stringify(policy);
  const debounced = useDebounce(key, { wait: 400 });
  const { data, loading } = useRequest(
    async (): Promise<{ key: string; preview?: RetentionPreview; error?: string }> => {
      try {
        return { key: debounced, preview: await api.retentionPreview(JSON.parse(debounced)) };
      } catch (e) {
        return { key: debounced, error: await readErrorMessage(e) };
      }
    },
    { refreshDeps: [debounced], ready: !!values && policy.keepLast !== null },
  );
  const current = data && data.key === key ? data : undefined;
  if (!current) return loading ? <Spin size="small" style={{ marginBottom: 16 }} /> : null;
  if (current.error) return <Alert type="warning" showIcon style={{ marginBottom: 16 }} message={current.error} />;
  const rows = current.preview?.destroy ?? [];
  return (
    <div data-testid="retention-preview" style={{ marginBottom: 24 }}>
      <Typography.Text strong>
        {rows.length
          ? t('With this policy, the next automatic backup deletes {{count}} existing backup(s):', { count: rows.length })
          : t('With this policy, no existing backup would be deleted now.')}
      </Typography.Text>
      {rows.length > 0 && (
        <List
          size="small"
          bordered
          style={{ marginTop: 8, maxHeight: 240, overflow: 'auto' }}
          dataSource={rows}
          renderItem={(r) => (
            <List.Item data-testid={`retention-preview-${r.id}`}>
              <Space wrap>
                <span>{formatTime(r.finishedAt || r.createdAt)}</span>
                <Typography.Text type="secondary">{r.fileName}</Typography.Text>
                {r.size ? <span>{formatSize(r.size)}</span> : null}
                {r.status === 'failed' && <Typography.Text type="danger">{t('failed')}</Typography.Text>}
                {r.offsite && <Typography.Text type="secondary">{t('and its off-site copy')}</Typography.Text>}
                {r.note && <Typography.Text italic>{r.note}</Typography.Text>}
              </Space>
            </List.Item>
          )}
        />
      )}
    </div>
  );
}
