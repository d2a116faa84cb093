import { Input, Select, Space, TimePicker } from 'antd';
import dayjs from 'dayjs';
import { useEffect, useMemo, useRef, useState } from 'react';
import { useLanguage, useT } from '../locale';
import { composeCron, DEFAULT_CRON, Frequency, MAX_MONTH_DAY, parseCron, Preset, PRESETS } from '../utils/cron';

const PRESET_LABEL: Record<Preset, string> = {
  hourly: 'Hourly',
  daily: 'Daily',
  weekly: 'Weekly',
  monthly: 'Monthly',
  custom: 'Custom cron expression',
};

interface Props {
  value?: string;
  onChange?: (value: string) => void;
}

function weekdayNames(language: string): string[] {
  // 2023-01-01 was a Sunday.
  let format: Intl.DateTimeFormat;
  try {
    format = new Intl.DateTimeFormat(language, { weekday: 'long', timeZone: 'UTC' });
  } catch {
    format = new Intl.DateTimeFormat('en-US', { weekday: 'long', timeZone: 'UTC' });
  }
  return [0, 1, 2, 3, 4, 5, 6].map((d) => format.format(new Date(Date.UTC(2023, 0, 1 + d))));
}

/**
 * A cron expression (the form value) edited through presets: hourly, daily / weekly / monthly at a time, or typed
 * by hand. The expression is always shown; it is editable for 'custom' only.
 */
export function FrequencyInput({ value, onChange }: Props) {
  const t = useT();
  const language = useLanguage();
  const [freq, setFreq] = useState<Frequency>(() => parseCron(value ?? DEFAULT_CRON));
  // The last value this control gave the form: any other value comes from outside (loaded settings) and is parsed.
  const emitted = useRef(value);
  useEffect(() => {
    if (value === emitted.current) return;
    emitted.current = value;
    setFreq(parseCron(value));
  }, [value]);

  const emit = (expression: string) => {
    emitted.current = expression;
    onChange?.(expression);
  };

  const update = (patch: Partial<Frequency>) => {
    const next = { ...freq, ...patch };
    setFreq(next);
    const expression = composeCron(next);
    if (expression !== undefined && expression !== value) emit(expression);
  };

  const weekdays = useMemo(() => weekdayNames(language).map((label, i) => ({ value: i, label })), [language]);
  const days = useMemo(
    () => Array.from({ length: MAX_MONTH_DAY }, (_, i) => ({ value: i + 1, label: t('Day {{day}}', { day: i + 1 }) })),
    [t],
  );
  const atTime = freq.preset === 'daily' || freq.preset === 'weekly' || freq.preset === 'monthly';

  return (
    <Space direction="vertical" style={{ width: '100%' }}>
      <Space wrap>
        <Select<Preset>
          value={freq.preset}
          onChange={(preset) => update({ preset })}
          options={PRESETS.map((p) => ({ value: p, label: t(PRESET_LABEL[p]) }))}
          style={{ width: 220 }}
        />
        {freq.preset === 'weekly' && (
          <Select<number>
            value={freq.weekday}
            onChange={(weekday) => update({ weekday })}
            options={weekdays}
            style={{ width: 140 }}
          />
        )}
        {freq.preset === 'monthly' && (
          <Select<number> value={freq.day} onChange={(day) => update({ day })} options={days} style={{ width: 140 }} />
        )}
        {atTime && (
          <TimePicker
            format="HH:mm"
            allowClear={false}
            needConfirm={false}
            value={dayjs().hour(freq.hour).minute(freq.minute).second(0)}
            onChange={(time) => time && update({ hour: time.hour(), minute: time.minute() })}
          />
        )}
      </Space>
      <Input
        addonBefore="cron"
        value={value}
        readOnly={freq.preset !== 'custom'}
        placeholder={DEFAULT_CRON}
        onChange={(e) => emit(e.target.value)}
        style={{ maxWidth: 320, fontFamily: 'monospace' }}
      />
    </Space>
  );
}
