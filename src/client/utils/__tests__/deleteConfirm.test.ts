import type { Task } from '../../types';
import { deleteConfirm } from '../deleteConfirm';

const t = (key: string, options?: Record<string, unknown>) =>
  key.replace(/{{(\w+)}}/g, (_, name: string) => String(options?.[name]));
const row = (values: Partial<Task>): Task => ({ id: 1, status: 'succeeded', origin: 'manual', kind: 'backup', ...values });

describe('deleteConfirm', () => {
  it('says a backup takes its file, here and off-site', () => {
    expect(deleteConfirm(row({ fileName: 'a.nbbm', local: true }), t)).toEqual({
      title: 'Delete this backup?',
      description: 'The backup file is removed from the server.',
    });
    expect(deleteConfirm(row({ fileName: 'a.nbbm', local: true, remote: { storage: 's3' } }), t).description).toBe(
      'The backup file is removed from this server and from the off-site storage s3.',
    );
    expect(deleteConfirm(row({ fileName: 'a.nbbm', local: false, remote: { storage: 's3' } }), t).description).toBe(
      'The backup file is removed from the off-site storage s3.',
    );
  });

  it('says a verify or restore row leaves the archive it names alone', () => {
    for (const kind of ['verify', 'restore'] as const) {
      expect(deleteConfirm(row({ kind, fileName: 'a.nbbm', local: true, remote: { storage: 's3' } }), t)).toEqual({
        title: 'Delete this entry?',
        description: 'Only this entry is removed; no backup file is touched.',
      });
    }
  });
});
