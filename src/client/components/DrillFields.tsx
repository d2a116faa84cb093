import { Divider, Form, Switch, Typography } from 'antd';
import { useCronPreview } from '../hooks/useCronPreview';
import { useT } from '../locale';
import { FrequencyInput } from './FrequencyInput';
import { NextRuns } from './NextRuns';

/** Weekly, Sunday 04:00 (the server's default too). */
export const DEFAULT_DRILL_CRON = '0 4 * * 0';

/** The restore drill's on/off and schedule, inside the automatic-backups form (same time zone). */
export function DrillFields({ timezone }: { timezone?: string }) {
  const t = useT();
  const form = Form.useFormInstance();
  const cron: string | undefined = Form.useWatch('drillCron', form);
  const { preview, checking } = useCronPreview(cron, timezone);
  const invalid = !!preview && !preview.valid;
  return (
    <>
      <Divider orientation="left" plain>
        {t('Restore drills')}
      </Divider>
      <Typography.Paragraph type="secondary">
        {t(
          'A drill verifies the newest backup into a temporary database, as Verify does, and records the result on it. A failed drill alerts the administrators. Drills never run during a backup or a restore.',
        )}
      </Typography.Paragraph>
      <Form.Item name="drillEnabled" valuePropName="checked" label={t('Enable restore drills')}>
        <Switch />
      </Form.Item>
      <Form.Item
        label={t('Drill frequency')}
        name="drillCron"
        rules={[{ required: true, whitespace: true, message: t('Enter a cron expression.') }]}
        validateStatus={invalid ? 'error' : undefined}
        help={invalid ? preview?.error || t('Invalid cron expression.') : undefined}
        extra={<NextRuns preview={preview} checking={checking} />}
      >
        <FrequencyInput />
      </Form.Item>
    </>
  );
}
