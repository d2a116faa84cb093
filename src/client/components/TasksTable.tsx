import { Space, Table, Typography } from 'antd';
import type { TableColumnsType } from 'antd';
import { useMemo } from 'react';
import { useT } from '../locale';
import type { Task, TaskId } from '../types';
import { formatSize, formatTime } from '../utils/format';
import { errorText } from '../utils/taskError';
import { FileNameCell } from './FileNameCell';
import { LastVerified } from './LastVerified';
import { LocationTags } from './LocationTags';
import { NoteCell } from './NoteCell';
import { PinToggle } from './PinToggle';
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

/**
 * Column widths (px) that fit the 1,102 px the admin gives the list on a 1366 px screen with its menu open, in
 * en-US and zh-CN (__tests__/e2e/laptop-layout.test.ts); the file name takes the rest and is cut with a tooltip.
 */
const WIDTHS = { createdAt: 165, kind: 115, location: 120, size: 90, status: 150, actions: 220 };
const FILE_NAME_MIN = 220;
/** Below this the table scrolls sideways under the pinned actions instead of squeezing the file name further. */
const MIN_TABLE_WIDTH = Object.values(WIDTHS).reduce((a, b) => a + b, FILE_NAME_MIN);

export function TasksTable(props: Props) {
  const { tasks, loading, page, pageSize, count, onPageChange, onRestore, onChanged } = props;
  const t = useT();

  const columns = useMemo<TableColumnsType<Task>>(
    () => [
      {
        title: t('Created at'),
        dataIndex: 'createdAt',
        width: WIDTHS.createdAt,
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
      { title: t('Type'), key: 'kind', width: WIDTHS.kind, render: (_: unknown, task) => <TaskTags task={task} /> },
      {
        title: t('File name'),
        dataIndex: 'fileName',
        // The note sits under the name: a column of its own did not fit a laptop screen.
        render: (_: unknown, task) => (
          <Space direction="vertical" size={2} style={{ width: '100%', minWidth: 0 }}>
            <FileNameCell task={task} />
            <NoteCell task={task} onChanged={onChanged} />
          </Space>
        ),
      },
      { title: t('Stored'), key: 'location', width: WIDTHS.location, render: (_: unknown, task) => <LocationTags task={task} /> },
      { title: t('Size'), dataIndex: 'size', width: WIDTHS.size, render: (_: unknown, task) => formatSize(task.size) },
      {
        // The last verify or drill and Keep forever sit beside the status: columns of their own did not fit a laptop screen.
        title: t('Status'),
        dataIndex: 'status',
        width: WIDTHS.status,
        render: (_: unknown, task) => (
          <Space size={4} wrap>
            <TaskStatusCell task={task} />
            <PinToggle task={task} onChanged={onChanged} />
            <LastVerified task={task} />
          </Space>
        ),
      },
      {
        title: t('Actions'),
        key: 'actions',
        width: WIDTHS.actions,
        // Pinned: on a screen narrower than the table the other columns scroll under it, the actions stay.
        fixed: 'right',
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
      tableLayout="fixed"
      scroll={{ x: MIN_TABLE_WIDTH }}
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
