import { Form, InputNumber } from 'antd';
import { useT } from '../locale';

/** Most jobs the server accepts (server/dumpers/parallel-jobs.ts MAX_JOBS). */
const MAX_JOBS = 8;

/** PostgreSQL/KingbaseES parallel dump and restore jobs (field dumpJobs); empty is automatic. */
export function DumpJobsField() {
  const t = useT();
  return (
    <Form.Item
      label={t('Parallel database jobs (PostgreSQL, KingbaseES)')}
      name="dumpJobs"
      extra={t(
        'Empty: automatic, one stream below 4 CPU cores, else one job per core up to 4. 1 dumps in one stream as before. Each job is one more database connection. Applies to every backup and restore of the main database.',
      )}
    >
      <InputNumber min={1} max={MAX_JOBS} precision={0} style={{ width: 160 }} placeholder={t('Automatic')} />
    </Form.Item>
  );
}
