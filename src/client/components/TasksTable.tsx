import { LockOutlined } from '@ant-design/icons';
import { Space, Table, Tooltip, Typography } from 'antd';
import type { TableColumnsType } from 'antd';
import { useMemo } from 'react';
import { useT } from '../locale';
import type { Task, TaskId } from '../types';
import { dialectLabel } from '../utils/dialects';
import { formatSize, formatTime } from '../utils/format';
import { errorText } from '../utils/taskError';
import { LastVerified } from './LastVerified';
import { LocationTags } from './LocationTags';
import { TaskActions } from './TaskActions';
import { TaskStatusCell } from './TaskStatusCell';
import { TaskTags } from './TaskTags';

interface Props {
  tasks: Task[];
  loading: boolean;
  page: number;
  pageSize: number;
  count: number;
  onPageChange: (page: number, pageSize: number) => void;
  onRestore: (task: Task) => void;
  onChanged: () => void;
}

const secondary = { fontSize: 12 };

export function TasksTable(props: Props) {
  const { tasks, loading, page, pageSize, count, onPageChange, onRestore, onChanged } = props;
  const t = useT();

  const columns = useMemo<TableColumnsType<Task>>(
    () => [
      {
        title: t('Created at'),
        dataIndex: 'createdAt',
        width: 180,
        render: (_: unknown, task) => (
          <Space direction="vertical" size={0}>
            <span>{formatTime(task.createdAt)}</span>
            {task.createdBy?.nickname && (
              <Typography.Text type="secondary" style={secondary}>
                {task.createdBy.nickname}
              </Typography.Text>
            )}
          </Space>
        ),
      },
      { title: t('Type'), key: 'kind', width: 170, render: (_: unknown, task) => <TaskTags task={task} /> },
      {
        title: t('File name'),
        dataIndex: 'fileName',
        render: (_: unknown, task) => (
          <Space direction="vertical" size={0}>
            <span style={{ wordBreak: 'break-all' }}>
              {task.encrypted && (
                <Tooltip title={t('Encrypted with a password')}>
                  <LockOutlined style={{ marginRight: 6 }} />
                </Tooltip>
              )}
              {task.fileName}
            </span>
            {(task.dialect || task.appVersion) && (
              <Typography.Text type="secondary" style={secondary}>
                {[dialectLabel(task.dialect), task.appVersion && `NocoBase ${task.appVersion}`]
                  .filter(Boolean)
                  .join(' · ')}
              </Typography.Text>
            )}
          </Space>
        ),
      },
      { title: t('Stored'), key: 'location', width: 150, render: (_: unknown, task) => <LocationTags task={task} /> },
      { title: t('Size'), dataIndex: 'size', width: 100, render: (_: unknown, task) => formatSize(task.size) },
      {
        title: t('Status'),
        dataIndex: 'status',
        width: 190,
        render: (_: unknown, task) => <TaskStatusCell task={task} />,
      },
      {
        title: t('Last verified'),
        dataIndex: 'verifiedAt',
        width: 150,
        render: (_: unknown, task) => <LastVerified task={task} />,
      },
      {
        title: t('Actions'),
        key: 'actions',
        width: 260,
        render: (_: unknown, task) => <TaskActions task={task} onRestore={onRestore} onChanged={onChanged} />,
      },
    ],
    [t, onRestore, onChanged],
  );

  // A failed task's error is also shown in full under its row.
  const failed = useMemo<TaskId[]>(
    () => tasks.filter((x) => x.status === 'failed' && (x.error || x.errorCode)).map((x) => x.id),
    [tasks],
  );

  return (
    <Table<Task>
      rowKey="id"
      size="middle"
      columns={columns}
      dataSource={tasks}
      loading={loading}
      scroll={{ x: 'max-content' }}
      expandable={{
        showExpandColumn: false,
        expandedRowKeys: failed,
        rowExpandable: (task) => task.status === 'failed' && !!(task.error || task.errorCode),
        expandedRowRender: (task) => (
          <Typography.Text type="danger" style={{ whiteSpace: 'pre-wrap' }}>
            {errorText(t, task)}
          </Typography.Text>
        ),
      }}
      pagination={{
        current: page,
        pageSize,
        total: count,
        showSizeChanger: true,
        showTotal: (total) => t('Total: {{total}}', { total }),
        onChange: onPageChange,
      }}
    />
  );
}
