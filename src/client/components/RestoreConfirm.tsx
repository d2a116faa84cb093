import { Alert, Button, Checkbox, Form, Input, Space } from 'antd';
import { useT } from '../locale';
import type { ArchiveSummary } from '../types';
import { ArchiveSummaryView } from './ArchiveSummaryView';

interface Props {
  summary: ArchiveSummary;
  name?: string;
  submitting: boolean;
  error?: string;
  onConfirm: (password: string | undefined, safetyBackup: boolean) => void;
  onCancel: () => void;
}

interface Values {
  password?: string;
  safetyBackup: boolean;
}

/** Step 2: what will be restored, its password if it has one, the safety backup, and the last word. */
export function RestoreConfirm({ summary, name, submitting, error, onConfirm, onCancel }: Props) {
  const t = useT();
  const [form] = Form.useForm<Values>();
  const safetyBackup: boolean | undefined = Form.useWatch('safetyBackup', form);

  const confirm = async () => {
    const values = await form.validateFields();
    onConfirm(values.password || undefined, !!values.safetyBackup);
  };

  return (
    <Form form={form} layout="vertical" initialValues={{ safetyBackup: true }} disabled={submitting}>
      <ArchiveSummaryView summary={summary} name={name} />
      <div style={{ height: 16 }} />
      {summary.encrypted && (
        <Form.Item
          label={t('Backup password')}
          name="password"
          rules={[{ required: true, message: t('This backup is encrypted: enter its password.') }]}
        >
          <Input.Password autoComplete="off" />
        </Form.Item>
      )}
      <Form.Item name="safetyBackup" valuePropName="checked" style={{ marginBottom: 8 }}>
        <Checkbox>{t('Take a safety backup of the current state first')}</Checkbox>
      </Form.Item>
      {safetyBackup === false && (
        <Alert
          style={{ marginBottom: 12 }}
          type="warning"
          showIcon
          message={t('Without a safety backup, the current data cannot be brought back after the restore.')}
        />
      )}
      <Alert
        style={{ marginBottom: 12 }}
        type="error"
        showIcon
        message={t('Restoring replaces all data and files of this application.')}
      />
      {error && <Alert style={{ marginBottom: 12 }} type="error" showIcon message={error} />}
      <Space style={{ display: 'flex', justifyContent: 'flex-end' }}>
        <Button onClick={onCancel}>{t('Cancel')}</Button>
        <Button type="primary" danger loading={submitting} onClick={confirm}>
          {t('Confirm')}
        </Button>
      </Space>
    </Form>
  );
}
