import { CheckCircleFilled, CloseCircleFilled, ExclamationCircleFilled } from '@ant-design/icons';
import { Alert, Typography, theme } from 'antd';
import type { ReactNode } from 'react';
import { useT } from '../locale';
import type { PreflightLevel } from '../types';
import type { PreflightView } from '../utils/preflight';

/** The pre-flight report of the restore dialog: one line per check with its fix, and what the restore will do. */
export function PreflightReport({ view }: { view: PreflightView }) {
  const t = useT();
  const { token } = theme.useToken();
  // The darker text shades: antd's warning colour itself is hard to read as text on white.
  const textColours: Record<PreflightLevel, string | undefined> = {
    ok: undefined,
    warning: token.colorWarningText,
    blocking: token.colorErrorText,
  };
  const levelNames: Record<PreflightLevel, string> = { ok: t('OK'), warning: t('Warning'), blocking: t('Blocking') };
  // The level's name read out and shown on hover in place of the icon's own name ("close-circle").
  const label = (level: PreflightLevel) => ({ 'aria-label': levelNames[level], title: levelNames[level] });
  const icons: Record<PreflightLevel, ReactNode> = {
    ok: <CheckCircleFilled {...label('ok')} style={{ color: token.colorSuccess }} />,
    warning: <ExclamationCircleFilled {...label('warning')} style={{ color: token.colorWarning }} />,
    blocking: <CloseCircleFilled {...label('blocking')} style={{ color: token.colorError }} />,
  };
  return (
    <section data-testid="preflight-report" style={{ marginBottom: 16 }}>
      <Typography.Title level={5} style={{ marginTop: 0 }}>
        {t('Pre-flight checks')}
      </Typography.Title>
      {view.blocking > 0 && (
        <Alert
          style={{ marginBottom: 8 }}
          type="error"
          showIcon
          message={t('{{count}} blocking check(s): this backup cannot be restored here until they are fixed.', { count: view.blocking })}
        />
      )}
      <ul style={{ listStyle: 'none', padding: 0, margin: 0 }}>
        {view.lines.map((line) => (
          <li key={line.id} data-level={line.level} style={{ display: 'flex', gap: 8, padding: '4px 0' }}>
            <span style={{ lineHeight: '22px' }}>{icons[line.level]}</span>
            <span>
              <Typography.Text style={{ color: textColours[line.level] }}>{line.text}</Typography.Text>
              {line.fix && (
                <Typography.Paragraph type="secondary" style={{ marginBottom: 0 }}>
                  {t('Fix: {{fix}}', { fix: line.fix })}
                </Typography.Paragraph>
              )}
            </span>
          </li>
        ))}
      </ul>
      <Typography.Paragraph type="secondary" style={{ margin: '8px 0 0' }}>
        {view.upgrade
          ? t('The versions differ: NocoBase upgrades the restored data, then the application restarts.')
          : t('Same NocoBase and plugin versions: the restore only restarts the application (no upgrade).')}
      </Typography.Paragraph>
    </section>
  );
}
