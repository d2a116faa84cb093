import { Alert, App, Button, Checkbox, Form, Spin, Switch } from 'antd';
import { useRequest } from 'ahooks';
import { useEffect, useState } from 'react';
import { readErrorMessage } from '../api/errors';
import { useSettingsApi } from '../api/settings';
import { FrequencyInput } from '../components/FrequencyInput';
import { LastRunAlert } from '../components/LastRunAlert';
import { NextRuns } from '../components/NextRuns';
import { PasswordFields } from '../components/PasswordFields';
import { RetentionFields } from '../components/RetentionFields';
import { ExcludeCollectionsField } from '../components/ExcludeCollectionsSelect';
import { OffsiteStorageField } from '../components/OffsiteStorageSelect';
import { SubAppsField } from '../components/SubAppsSelect';
import { DataSourcesField } from '../components/DataSourcesSelect';
import { DEFAULT_DRILL_CRON, DrillFields } from '../components/DrillFields';
import { TimezoneSelect } from '../components/TimezoneSelect';
import { AlertSettingsFields } from '../components/AlertSettingsFields';
import { DumpJobsField } from '../components/DumpJobsField';
import { useCronPreview } from '../hooks/useCronPreview';
import { useT } from '../locale';
import type { ScheduleValues } from '../../schedule-values';
import type { ScheduleSettings, ScheduleUpdate } from '../types';
import { DEFAULT_CRON } from '../utils/cron';
import { offsiteEncryption } from '../utils/offsiteEncryption';
import { localTimeZone } from '../utils/timezones';

interface Values extends Omit<ScheduleValues, 'maxAgeDays'> {
  maxAgeDays?: number | null;
  password?: string;
  passwordRepeat?: string;
  clearPassword?: boolean;
}

function toForm(s: ScheduleSettings): Values {
  return {
    enabled: !!s.enabled,
    cron: s.cron || DEFAULT_CRON,
    timezone: s.timezone || localTimeZone(),
    includeUploads: s.includeUploads !== false,
    includePlugins: s.includePlugins !== false,
    keepLast: s.keepLast ?? 7,
    maxAgeDays: s.maxAgeDays ?? null,
    keepDaily: s.keepDaily ?? null,
    keepWeekly: s.keepWeekly ?? null,
    keepMonthly: s.keepMonthly ?? null,
    keepYearly: s.keepYearly ?? null,
    excludeCollections: s.excludeCollections ?? [],
    offsiteStorage: s.offsiteStorage ?? null,
    offsiteUnencrypted: !!s.offsiteUnencrypted,
    subApps: s.subApps ?? [],
    dataSources: s.dataSources ?? [],
    staleAfterHours: s.staleAfterHours ?? null,
    alertEmailChannel: s.alertEmailChannel ?? null,
    drillEnabled: !!s.drillEnabled,
    drillCron: s.drillCron || DEFAULT_DRILL_CRON,
    dumpJobs: s.dumpJobs ?? null,
    password: undefined,
    passwordRepeat: undefined,
    clearPassword: false,
  };
}

function toUpdate(v: Values, hasPassword: boolean): ScheduleUpdate {
  const update: ScheduleUpdate = {
    enabled: !!v.enabled,
    cron: (v.cron ?? '').trim(),
    timezone: v.timezone,
    includeUploads: !!v.includeUploads,
    includePlugins: !!v.includePlugins,
    keepLast: v.keepLast,
    maxAgeDays: v.maxAgeDays ?? null,
    keepDaily: v.keepDaily || null,
    keepWeekly: v.keepWeekly || null,
    keepMonthly: v.keepMonthly || null,
    keepYearly: v.keepYearly || null,
    excludeCollections: v.excludeCollections ?? [],
    offsiteStorage: v.offsiteStorage || null,
    offsiteUnencrypted: !!v.offsiteUnencrypted,
    subApps: v.subApps ?? [],
    dataSources: v.dataSources ?? [],
    staleAfterHours: v.staleAfterHours ?? null,
    alertEmailChannel: v.alertEmailChannel || null,
    drillEnabled: !!v.drillEnabled,
    drillCron: (v.drillCron || DEFAULT_DRILL_CRON).trim(),
    dumpJobs: v.dumpJobs || null,
  };
  if (hasPassword && v.clearPassword) update.clearPassword = true;
  return update;
}

export function ScheduleTab() {
  const t = useT();
  const api = useSettingsApi();
  const { message } = App.useApp();
  const [form] = Form.useForm<Values>();
  const { data: settings, error, loading, refreshAsync } = useRequest(() => api.get());
  const [loadError, setLoadError] = useState<string>();
  const [saving, setSaving] = useState(false);
  const cron: string | undefined = Form.useWatch('cron', form);
  const timezone: string | undefined = Form.useWatch('timezone', form);
  const clearPassword: boolean | undefined = Form.useWatch('clearPassword', form);
  const enabled: boolean | undefined = Form.useWatch('enabled', form);
  const offsiteStorage: string | null | undefined = Form.useWatch('offsiteStorage', form);
  const password: string | undefined = Form.useWatch('password', form);
  const offsiteUnencrypted: boolean | undefined = Form.useWatch('offsiteUnencrypted', form);
  const { preview, checking } = useCronPreview(cron, timezone);

  useEffect(() => {
    if (settings) form.setFieldsValue(toForm(settings));
  }, [settings, form]);

  useEffect(() => {
    let cancelled = false;
    if (!error) setLoadError(undefined);
    else readErrorMessage(error).then((m) => !cancelled && setLoadError(m));
    return () => {
      cancelled = true;
    };
  }, [error]);

  const save = async () => {
    const values = await form.validateFields();
    const hasPassword = !!settings?.hasPassword;
    setSaving(true);
    try {
      const password = values.clearPassword ? undefined : values.password || undefined;
      await api.update(toUpdate(values, hasPassword), password);
      message.success(t('Saved'));
      await refreshAsync();
    } catch (e) {
      message.error(await readErrorMessage(e));
    } finally {
      setSaving(false);
    }
  };

  if (!settings) {
    if (loadError && !loading) {
      return (
        <Alert
          type="error"
          showIcon
          message={loadError}
          action={<Button onClick={() => refreshAsync().catch(() => undefined)}>{t('Retry')}</Button>}
        />
      );
    }
    return (
      <div style={{ textAlign: 'center', padding: 48 }}>
        <Spin />
      </div>
    );
  }

  const cronInvalid = !!preview && !preview.valid;
  const offsite = offsiteEncryption({
    enabled,
    offsiteStorage,
    hasPassword: !!settings.hasPassword,
    password,
    clearPassword,
    offsiteUnencrypted,
  });
  return (
    <div style={{ maxWidth: 720 }}>
      <LastRunAlert lastRun={settings.lastRun} />
      <Form form={form} layout="vertical" initialValues={toForm(settings)} disabled={saving}>
        <Form.Item name="enabled" valuePropName="checked" label={t('Enable automatic backups')}>
          <Switch />
        </Form.Item>
        <Form.Item
          label={t('Frequency')}
          name="cron"
          rules={[{ required: true, whitespace: true, message: t('Enter a cron expression.') }]}
          validateStatus={cronInvalid ? 'error' : undefined}
          help={cronInvalid ? preview.error || t('Invalid cron expression.') : undefined}
          extra={<NextRuns preview={preview} checking={checking} />}
        >
          <FrequencyInput />
        </Form.Item>
        <Form.Item label={t('Time zone')} name="timezone" rules={[{ required: true }]}>
          <TimezoneSelect />
        </Form.Item>
        <Form.Item name="includeUploads" valuePropName="checked" style={{ marginBottom: 4 }}>
          <Checkbox>{t('Include uploads')}</Checkbox>
        </Form.Item>
        <Form.Item name="includePlugins" valuePropName="checked">
          <Checkbox>{t('Include plugins')}</Checkbox>
        </Form.Item>
        <ExcludeCollectionsField />
        <SubAppsField />
        <DataSourcesField />
        <DumpJobsField />
        <RetentionFields />
        <OffsiteStorageField />
        {offsite.plain && (
          <>
            <Alert
              type="warning"
              showIcon
              style={{ marginBottom: 12 }}
              message={t(
                'Automatic backups are copied to {{storage}} unencrypted: the bucket then holds the whole database and the app\'s encryption keys in the clear. Set a backup password below.',
                { storage: offsiteStorage },
              )}
            />
            <Form.Item name="offsiteUnencrypted" valuePropName="checked">
              <Checkbox>{t('Copy unencrypted archives off-site (not recommended)')}</Checkbox>
            </Form.Item>
          </>
        )}
        <PasswordFields
          label={t('Backup password')}
          disabled={!!clearPassword}
          placeholder={settings.hasPassword ? t('Unchanged') : offsite.passwordRequired ? undefined : t('Optional')}
          requiredMessage={
            offsite.passwordRequired
              ? t('Automatic backups copied off-site are encrypted: enter a password, or choose unencrypted copies above.')
              : undefined
          }
          extra={
            settings.hasPassword
              ? t('A password is set: automatic backups are encrypted. Leave empty to keep it.')
              : t('Leave empty for an unencrypted archive')
          }
        />
        {settings.hasPassword && (
          <Form.Item name="clearPassword" valuePropName="checked">
            <Checkbox>{t('Remove password')}</Checkbox>
          </Form.Item>
        )}
        <AlertSettingsFields />
        <DrillFields timezone={timezone} />
        <Button type="primary" loading={saving} onClick={save}>
          {t('Save')}
        </Button>
      </Form>
    </div>
  );
}
