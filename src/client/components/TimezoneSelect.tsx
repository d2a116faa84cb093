import { Select } from 'antd';
import { useMemo } from 'react';
import { timeZones } from '../utils/timezones';

interface Props {
  value?: string;
  onChange?: (value: string) => void;
}

export function TimezoneSelect({ value, onChange }: Props) {
  const options = useMemo(() => timeZones(value).map((z) => ({ value: z, label: z })), [value]);
  return <Select showSearch value={value} onChange={onChange} options={options} style={{ maxWidth: 320 }} />;
}
