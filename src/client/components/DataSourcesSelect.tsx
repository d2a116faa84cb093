import { Checkbox, Form, Space, Typography } from 'antd';
import { useRequest } from 'ahooks';
import { useSettingsApi } from '../api/settings';
import { useT } from '../locale';

/**
 * The form field `dataSources`: external data sources, each off unless ticked. Those without a dump tool here
 * (SQL Server, Oracle, non-database sources) are listed, disabled, with what to do instead.
 */
export function DataSourcesField() {
  const t = useT();
  const api = useSettingsApi();
  const { data: sources } = useRequest(() => api.dataSources().catch(() => []));
  if (!sources?.length) return null;
  return (
    <Form.Item
      name="dataSources"
      label={t('External data sources')}
      extra={t('Dumped with the tools and credentials of their own engines. A restore replaces them only when you tick them there too.')}
    >
      <Checkbox.Group style={{ width: '100%' }}>
        <Space direction="vertical" size={2}>
          {sources.map((s) => (
            <Checkbox key={s.key} value={s.key} disabled={!s.supported}>
              {t(s.title)} ({s.key}, {s.type})
              {!s.supported && s.reason && (
                <Typography.Text type="secondary" style={{ display: 'block', fontSize: 12 }}>
                  {s.reason}
                </Typography.Text>
              )}
            </Checkbox>
          ))}
        </Space>
      </Checkbox.Group>
    </Form.Item>
  );
}
