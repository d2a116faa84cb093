import { Card, Tabs } from 'antd';
import { useState } from 'react';
import { useT } from '../locale';
import { BackupsTab } from './BackupsTab';
import { ScheduleTab } from './ScheduleTab';

export function BackupsManagerPage() {
  const t = useT();
  const [active, setActive] = useState('backups');
  return (
    <Card variant="borderless">
      <Tabs
        activeKey={active}
        onChange={setActive}
        items={[
          // Told when it is shown again: the off-site storage may have been changed on the other tab.
          { key: 'backups', label: t('Backups'), children: <BackupsTab active={active === 'backups'} /> },
          { key: 'schedule', label: t('Automatic backups'), children: <ScheduleTab /> },
        ]}
      />
    </Card>
  );
}
