import { Form, Select } from 'antd';
import { useRequest } from 'ahooks';
import { useSettingsApi } from '../api/settings';
import { useT } from '../locale';

const ALL = '*';

interface Props {
  value?: string[];
  onChange?: (value: string[]) => void;
  options: { value: string; label: string }[];
}

function SubAppsSelect({ value, onChange, options }: Props) {
  const t = useT();
  // "All" stands alone: picking it drops the single names, picking a name drops "All".
  const change = (next: string[]) => {
    const added = next.find((v) => !(value ?? []).includes(v));
    onChange?.(added === ALL ? [ALL] : next.filter((v) => v !== ALL));
  };
  return (
    <Select
      mode="multiple"
      allowClear
      value={value}
      onChange={change}
      options={[{ value: ALL, label: t('All sub-applications') }, ...options]}
      placeholder={t('None: the main application only')}
    />
  );
}

/** The form field `subApps`; shown only where the multi-app manager has sub-applications. */
export function SubAppsField() {
  const t = useT();
  const api = useSettingsApi();
  const { data: apps } = useRequest(() => api.apps().catch(() => []));
  if (!apps?.length) return null;
  return (
    <Form.Item
      name="subApps"
      label={t('Sub-applications')}
      extra={t('Their databases are backed up too; a restore can then target each application on its own.')}
    >
      <SubAppsSelect options={apps.map((a) => ({ value: a.name, label: a.title === a.name ? a.name : `${t(a.title)} (${a.name})` }))} />
    </Form.Item>
  );
}
