import { Form, Select, Typography } from 'antd';
import { useRequest } from 'ahooks';
import { useSettingsApi } from '../api/settings';
import { useT } from '../locale';

interface Props {
  value?: string | null;
  onChange?: (value: string | null) => void;
}

/** The file manager's storages; those that cannot hold off-site copies are shown disabled with the reason. */
export function OffsiteStorageSelect({ value, onChange }: Props) {
  const t = useT();
  const api = useSettingsApi();
  const { data: storages, loading } = useRequest(() => api.storages());
  const options = [
    { value: '', label: t('None: backups stay on this server only') },
    ...(storages ?? []).map((s) => ({
      value: s.name,
      disabled: !s.supported,
      label: (
        <span>
          {t(s.title)} ({s.name}, {s.type})
          {!s.supported && s.reason && (
            <Typography.Text type="secondary" style={{ marginLeft: 8, fontSize: 12 }}>
              {s.reason}
            </Typography.Text>
          )}
        </span>
      ),
    })),
  ];
  return (
    <Select
      loading={loading}
      value={value ?? ''}
      onChange={(v: string) => onChange?.(v || null)}
      options={options}
      aria-label={t('Off-site copy')}
    />
  );
}

/** The settings field `offsiteStorage`. */
export function OffsiteStorageField() {
  const t = useT();
  return (
    <Form.Item
      name="offsiteStorage"
      label={t('Off-site copy')}
      extra={t(
        'Each manual and automatic backup is also uploaded to this file-manager storage (Amazon S3 or S3-compatible). Retention deletes both copies.',
      )}
    >
      <OffsiteStorageSelect />
    </Form.Item>
  );
}
