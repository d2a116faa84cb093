import { Form, Select } from 'antd';
import { useEffect, useState } from 'react';
import { useT } from '../locale';
import { useApi } from '../shell';

interface Props {
  value?: string[];
  onChange?: (value: string[]) => void;
}

interface CollectionRow {
  name: string;
  title?: string;
}

/** Collections whose rows a backup may leave out (their tables are kept, empty): big logs, audit trails. */
export function ExcludeCollectionsSelect({ value, onChange }: Props) {
  const t = useT();
  const api = useApi();
  const [options, setOptions] = useState<{ value: string; label: string }[]>([]);
  const [loading, setLoading] = useState(true);

  useEffect(() => {
    let alive = true;
    api
      .request<{ data: CollectionRow[] }>({ url: 'collections:list', params: { paginate: false }, skipNotify: true })
      .then((res) => {
        if (!alive) return;
        const rows = res.data?.data ?? [];
        setOptions(rows.map((c) => ({ value: c.name, label: c.title ? `${t(c.title)} (${c.name})` : c.name })));
      })
      .catch(() => undefined)
      .finally(() => alive && setLoading(false));
    return () => {
      alive = false;
    };
  }, [api, t]);

  return (
    <Select
      mode="multiple"
      allowClear
      loading={loading}
      value={value}
      onChange={onChange}
      options={options}
      optionFilterProp="label"
      placeholder={t('None: every row is backed up')}
    />
  );
}

/** The form field `excludeCollections`, as the Backup now dialog and the schedule both show it. */
export function ExcludeCollectionsField() {
  const t = useT();
  return (
    <Form.Item
      name="excludeCollections"
      label={t('Leave out the data of these collections')}
      extra={t('Their tables are kept, empty. Use it for large log or audit tables.')}
    >
      <ExcludeCollectionsSelect />
    </Form.Item>
  );
}
