import { Divider, Form, InputNumber, Select, Typography } from 'antd';
import { useRequest } from 'ahooks';
import { useSettingsApi } from '../api/settings';
import { useT } from '../locale';

/** The alert settings: the stale-backup threshold and the e-mail channel (fields staleAfterHours, alertEmailChannel). */
export function AlertSettingsFields() {
  const t = useT();
  const api = useSettingsApi();
  const { data: channels, loading } = useRequest(() => api.emailChannels());
  const options = [
    { value: '', label: t('None: in-app messages only') },
    ...(channels ?? []).map((c) => ({ value: c.name, label: `${t(c.title)} (${c.name})` })),
  ];
  return (
    <>
      <Divider orientation="left" plain>
        {t('Alerts')}
      </Divider>
      <Typography.Paragraph type="secondary">
        {t(
          'Admins get an in-app message when an automatic backup fails, when no backup has succeeded for too long, when an off-site copy fails and when a restore drill fails.',
        )}
      </Typography.Paragraph>
      <Form.Item
        label={t('Alert when no backup has succeeded for more than (hours)')}
        name="staleAfterHours"
        extra={t('Checked every few minutes, even when automatic backups are off. Leave empty for no such alert.')}
      >
        <InputNumber min={0.1} style={{ width: 160 }} placeholder={t('Off')} />
      </Form.Item>
      <Form.Item
        label={t('Also send alerts by e-mail through')}
        name="alertEmailChannel"
        getValueProps={(v: string | null | undefined) => ({ value: v ?? '' })}
        normalize={(v: string) => v || null}
        extra={t(
          'An e-mail channel of the notification manager (Settings > Notification manager). Each admin gets the alert at the e-mail address of their account.',
        )}
      >
        <Select loading={loading} options={options} aria-label={t('Also send alerts by e-mail through')} />
      </Form.Item>
    </>
  );
}
