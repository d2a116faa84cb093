import { Descriptions, Space, Tag, Typography } from 'antd';
import type { DescriptionsProps } from 'antd';
import { useT } from '../locale';
import type { ArchiveSummary } from '../types';
import { dialectLabel } from '../utils/dialects';
import { formatSize, formatTime } from '../utils/format';
import { skippedFilesWarning } from '../utils/skippedFiles';

/** What a backup archive holds, as its manifest tells. */
export function ArchiveSummaryView({ summary, name }: { summary: ArchiveSummary; name?: string }) {
  const t = useT();
  const excluded = summary.excludedTableData ?? [];
  const items: DescriptionsProps['items'] = [
    ...(name
      ? [{ key: 'name', label: t('File name'), children: <span style={{ wordBreak: 'break-all' }}>{name}</span> }]
      : []),
    ...(summary.provenance
      ? [
          {
            key: 'provenance',
            label: t('Made by'),
            children:
              summary.provenance === 'this-app' ? (
                <Tag color="green">{t('Made by this application')}</Tag>
              ) : (
                <Tag color="orange">{t('Made elsewhere')}</Tag>
              ),
          },
        ]
      : []),
    { key: 'createdAt', label: t('Made at'), children: formatTime(summary.createdAt) },
    { key: 'appName', label: t('Application'), children: summary.appName },
    { key: 'appVersion', label: t('NocoBase version'), children: summary.appVersion },
    {
      key: 'dialect',
      label: t('Database'),
      children: [dialectLabel(summary.dialect), summary.serverVersion].filter(Boolean).join(' '),
    },
    { key: 'size', label: t('Size'), children: formatSize(summary.size) },
    {
      key: 'parts',
      label: t('Contents'),
      children: (
        <Space size={4} wrap>
          {(summary.parts ?? []).map((part) => (
            <Tag key={part}>{t(part)}</Tag>
          ))}
        </Space>
      ),
    },
    { key: 'encrypted', label: t('Encrypted'), children: summary.encrypted ? t('Yes') : t('No') },
  ];
  if (summary.apps?.length) {
    items.push({ key: 'apps', label: t('Sub-applications'), children: summary.apps.join(', ') });
  }
  if (summary.dataSources?.length) {
    items.push({ key: 'dataSources', label: t('External data sources'), children: summary.dataSources.join(', ') });
  }
  if (summary.skippedDataSources?.length) {
    items.push({
      key: 'skipped',
      label: t('Data sources not backed up'),
      children: summary.skippedDataSources.map((s) => `${s.key} (${s.type}): ${t(s.reason, { type: s.type, key: s.key })}${s.detail ? ` ${s.detail}` : ''}`).join('; '),
    });
  }
  const skippedFiles = skippedFilesWarning(summary, t);
  if (skippedFiles) {
    items.push({
      key: 'skippedFiles',
      label: t('Files not backed up'),
      children: (
        <Typography.Paragraph style={{ marginBottom: 0, whiteSpace: 'pre-wrap' }} ellipsis={{ rows: 3, expandable: true, symbol: t('More') }}>
          {[skippedFiles.label, ...skippedFiles.lines].join('\n')}
        </Typography.Paragraph>
      ),
    });
  }
  if (excluded.length) {
    items.push({
      key: 'excluded',
      label: t('Tables saved without their data'),
      children: (
        <Typography.Paragraph style={{ marginBottom: 0 }} ellipsis={{ rows: 2, expandable: true, symbol: t('More') }}>
          {excluded.join(', ')}
        </Typography.Paragraph>
      ),
    });
  }
  return <Descriptions size="small" bordered column={1} items={items} />;
}
