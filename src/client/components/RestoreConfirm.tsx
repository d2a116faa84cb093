import { Alert, Button, Checkbox, Form, Input, Space, theme } from 'antd';
import { useMemo } from 'react';
import type { RestoreChoices } from '../api/tasks';
import { useT } from '../locale';
import type { ArchiveSummary } from '../types';
import { preflightAllows, preflightView } from '../utils/preflight';
import { ArchiveSummaryView } from './ArchiveSummaryView';
import { PreflightReport } from './PreflightReport';

interface Props {
  summary: ArchiveSummary;
  name?: string;
  submitting: boolean;
  error?: string;
  onConfirm: (choices: RestoreChoices) => void;
  onCancel: () => void;
}

interface Values {
  password?: string;
  safetyBackup: boolean;
  apps?: string[];
  dataSources?: string[];
  trustForeign?: boolean;
  acceptWarnings?: boolean;
}

/** Step 2: what will be restored, its password if it has one, the safety backup, and the last word. */
export function RestoreConfirm({ summary, name, submitting, error, onConfirm, onCancel }: Props) {
  const t = useT();
  const { token } = theme.useToken();
  const [form] = Form.useForm<Values>();
  const safetyBackup: boolean | undefined = Form.useWatch('safetyBackup', form);
  const subApps = summary.apps ?? [];
  const sources = summary.dataSources ?? [];
  const apps: string[] | undefined = Form.useWatch('apps', form);
  const mainChosen = !subApps.length || !apps || apps.includes('main');
  const foreign = summary.provenance === 'elsewhere';
  const report = useMemo(() => preflightView(summary.preflight, t), [summary.preflight, t]);
  // The pre-flight is about the main application: restores of sub-applications or data sources only are not checked.
  const preflight = mainChosen ? report : null;
  // A SQLite backup into this server database is moved: the safety backup is its way back, never left out (the server
  // refuses MOVE_NEEDS_SAFETY).
  const moving = !!preflight && (summary.preflight?.checks ?? []).some((c) => c.code === 'PREFLIGHT_MOVE_DIALECT');
  const acceptWarnings: boolean | undefined = Form.useWatch('acceptWarnings', form);
  const allowed = preflightAllows(preflight, acceptWarnings === true);

  const confirm = async () => {
    // A field left wrong may be scrolled out of the body's view: bring its message into view.
    const values = await form.validateFields().catch((e: { errorFields?: { name: (string | number)[] }[] }) => {
      const first = e.errorFields?.[0];
      if (first) form.scrollToField(first.name, { block: 'center' });
      return undefined;
    });
    if (!values) return;
    if (!preflightAllows(preflight, values.acceptWarnings === true)) return;
    onConfirm({
      password: values.password || undefined,
      safetyBackup: moving || !!values.safetyBackup,
      apps: subApps.length || values.dataSources?.length ? values.apps ?? ['main'] : undefined,
      dataSources: values.dataSources,
      trustForeign: foreign ? values.trustForeign === true : undefined,
      acceptWarnings: preflight?.warnings ? values.acceptWarnings === true : undefined,
    });
  };

  return (
    <Form form={form} layout="vertical" initialValues={{ safetyBackup: true, apps: ['main'], dataSources: [] }} disabled={submitting}>
      <ArchiveSummaryView summary={summary} name={name} />
      <div style={{ height: 16 }} />
      {preflight && <PreflightReport view={preflight} />}
      {preflight && preflight.blocking === 0 && preflight.warnings > 0 && (
        <Form.Item name="acceptWarnings" valuePropName="checked" style={{ marginBottom: 8 }}>
          <Checkbox>{t('I have read the warnings; restore anyway')}</Checkbox>
        </Form.Item>
      )}
      {summary.encrypted && (
        <Form.Item
          label={t('Backup password')}
          name="password"
          rules={[{ required: true, message: t('This backup is encrypted: enter its password.') }]}
        >
          <Input.Password autoComplete="off" />
        </Form.Item>
      )}
      {subApps.length > 0 && (
        <Form.Item
          label={t('Restore')}
          name="apps"
          dependencies={['dataSources']}
          rules={[
            ({ getFieldValue }) => ({
              validator: (_, value?: string[]) =>
                value?.length || getFieldValue('dataSources')?.length
                  ? Promise.resolve()
                  : Promise.reject(new Error(t('Choose at least one application to restore.'))),
            }),
          ]}
          extra={t('Each application is restored on its own database; those not ticked are left as they are.')}
        >
          <Checkbox.Group
            options={[
              { value: 'main', label: t('Main application') },
              ...subApps.map((name) => ({ value: name, label: t('Sub-application {{name}}', { name }) })),
            ]}
          />
        </Form.Item>
      )}
      {sources.length > 0 && (
        <Form.Item
          label={t('External data sources')}
          name="dataSources"
          extra={t('Their databases are replaced only if ticked here.')}
        >
          <Checkbox.Group options={sources.map((key) => ({ value: key, label: key }))} />
        </Form.Item>
      )}
      {foreign && (
        <>
          <Alert
            style={{ marginBottom: 12 }}
            type="warning"
            showIcon
            message={t('This backup was not made by this application.')}
            description={t('It is not signed with the key of this application (APP_KEY): it comes from another application, from a version of this plugin before signatures, or was changed since. Restoring it runs the database commands it contains.')}
          />
          <Form.Item
            name="trustForeign"
            valuePropName="checked"
            style={{ marginBottom: 8 }}
            rules={[
              {
                validator: (_, value?: boolean) =>
                  value ? Promise.resolve() : Promise.reject(new Error(t('Tick this to restore a backup made elsewhere.'))),
              },
            ]}
          >
            <Checkbox>{t('I know where this backup comes from and trust it')}</Checkbox>
          </Form.Item>
        </>
      )}
      {/*
        The decision (safety backup, what is replaced, the server's refusal, the buttons) stays at the bottom of the
        dialog's scrolling body (utils/dialogBody.ts), in view on a 768 px screen; the summary scrolls above it.
      */}
      <div
        style={{
          position: 'sticky',
          bottom: 0,
          zIndex: 1,
          paddingTop: 12,
          borderTop: `1px solid ${token.colorSplit}`,
          background: token.colorBgElevated,
        }}
      >
        <Form.Item name="safetyBackup" valuePropName="checked" style={{ marginBottom: 8 }}>
          <Checkbox disabled={moving}>
            {t('Take a safety backup of the current state first')}
            {moving ? ` (${t('always, for a move into another database')})` : ''}
          </Checkbox>
        </Form.Item>
        {safetyBackup === false && !moving && (
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
          message={
            mainChosen
              ? t('Restoring replaces all data and files of this application.')
              : t('Restoring replaces only the databases chosen here; the main application keeps running.')
          }
        />
        {error && <Alert style={{ marginBottom: 12 }} type="error" showIcon message={error} />}
        <Space style={{ display: 'flex', justifyContent: 'flex-end' }}>
          <Button onClick={onCancel}>{t('Cancel')}</Button>
          <Button type="primary" danger loading={submitting} disabled={!allowed} onClick={confirm}>
            {t('Confirm')}
          </Button>
        </Space>
      </div>
    </Form>
  );
}
