import { CheckCircleFilled, CloseCircleFilled, ExclamationCircleFilled, ReloadOutlined } from '@ant-design/icons';
import { Alert, Button, Space, Typography, theme } from 'antd';
import { useRequest } from 'ahooks';
import { useEffect, useState, type ReactNode } from 'react';
import { readErrorMessage } from '../api/errors';
import { useSettingsApi } from '../api/settings';
import { useT } from '../locale';
import type { PreflightLevel } from '../types';
import { preflightView } from '../utils/preflight';

/**
 * Whether a backup would work here now, read when the page opens (before any backup was ever tried): one line when
 * every check passes, the lines with their fixes as soon as one warns or blocks.
 */
export function ReadinessPanel() {
  const t = useT();
  const { token } = theme.useToken();
  const api = useSettingsApi();
  const { data: report, error, loading, run } = useRequest(() => api.readiness());
  const [expanded, setExpanded] = useState(false);
  const [errorText, setErrorText] = useState<string>();
  useEffect(() => {
    let cancelled = false;
    if (!error) setErrorText(undefined);
    else readErrorMessage(error).then((m) => !cancelled && setErrorText(m));
    return () => {
      cancelled = true;
    };
  }, [error]);

  const view = preflightView(report ? { ...report, upgrade: false } : null, t);
  const recheck = (
    <Button size="small" icon={<ReloadOutlined />} loading={loading} onClick={run}>
      {t('Check again')}
    </Button>
  );
  const style = { marginBottom: 16 };
  if (errorText) {
    return <Alert style={style} type="warning" showIcon message={t('The readiness checks could not be run: {{error}}', { error: errorText })} action={recheck} />;
  }
  if (!view) return null;

  const names: Record<PreflightLevel, string> = { ok: t('OK'), warning: t('Warning'), blocking: t('Blocking') };
  const icons: Record<PreflightLevel, ReactNode> = {
    ok: <CheckCircleFilled aria-label={names.ok} title={names.ok} style={{ color: token.colorSuccess }} />,
    warning: <ExclamationCircleFilled aria-label={names.warning} title={names.warning} style={{ color: token.colorWarning }} />,
    blocking: <CloseCircleFilled aria-label={names.blocking} title={names.blocking} style={{ color: token.colorError }} />,
  };
  const allOk = view.blocking === 0 && view.warnings === 0;
  const lines = (
    <ul style={{ listStyle: 'none', padding: 0, margin: '8px 0 0' }}>
      {view.lines.map((line) => (
        <li key={line.id} data-level={line.level} style={{ display: 'flex', gap: 8, padding: '2px 0' }}>
          <span style={{ lineHeight: '22px' }}>{icons[line.level]}</span>
          <span style={{ minWidth: 0, overflowWrap: 'anywhere' }}>
            <Typography.Text>{line.text}</Typography.Text>
            {line.fix && (
              <Typography.Paragraph type="secondary" style={{ marginBottom: 0 }}>
                {t('Fix: {{fix}}', { fix: line.fix })}
              </Typography.Paragraph>
            )}
          </span>
        </li>
      ))}
    </ul>
  );
  const message = allOk
    ? t('Ready to back up: {{count}} checks passed.', { count: view.lines.length })
    : view.blocking
      ? t('{{count}} blocking problem(s): backups will fail until they are fixed.', { count: view.blocking })
      : t('{{count}} warning(s): backups work, but see the fixes below.', { count: view.warnings });
  return (
    <section data-testid="readiness-panel" data-state={allOk ? 'ok' : view.blocking ? 'blocking' : 'warning'} aria-label={t('Readiness')}>
      <Alert
        style={style}
        type={allOk ? 'success' : view.blocking ? 'error' : 'warning'}
        showIcon
        message={message}
        description={allOk && !expanded ? undefined : lines}
        action={
          <Space>
            {allOk && (
              <Button size="small" type="link" onClick={() => setExpanded(!expanded)}>
                {expanded ? t('Hide the checks') : t('Show the checks')}
              </Button>
            )}
            {recheck}
          </Space>
        }
      />
    </section>
  );
}
