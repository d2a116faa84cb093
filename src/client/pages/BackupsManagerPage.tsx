import { Card, Tabs } from 'antd';
import { useT } from '../locale';
import { BackupsTab } from './BackupsTab';
import { ScheduleTab } from './ScheduleTab';

export function BackupsManagerPage() {
  const t = useT();
  return (
    <Card variant="borderless">
      <Tabs
        defaultActiveKey="backups"
        items={[
          { key: 'backups', label: t('Backups'), children: <BackupsTab /> },
          { key: 'schedule', label: t('Automatic backups'), children: <ScheduleTab /> },
        ]}
      />
    </Card>
  );
}
