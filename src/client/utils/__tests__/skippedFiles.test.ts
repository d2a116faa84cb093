import type { Task } from '../../types';
import { skippedFilesWarning, taskSkippedFiles } from '../skippedFiles';

const t = (key: string, options?: Record<string, unknown>) =>
  key.replace(/{{(\w+)}}/g, (_, name: string) => String(options?.[name]));

describe('skippedFilesWarning', () => {
  it('is null when nothing was skipped (or the summary predates the field)', () => {
    expect(skippedFilesWarning({ skippedFiles: [], skippedFileCount: 0 }, t)).toBeNull();
    expect(skippedFilesWarning({}, t)).toBeNull();
    expect(skippedFilesWarning(null, t)).toBeNull();
  });

  it('counts and names the skipped files with their reason', () => {
    const w = skippedFilesWarning(
      {
        skippedFiles: [
          { path: 'storage/uploads/l', reason: 'symlink' },
          { path: 'storage/uploads/p', reason: 'not a regular file' },
          { path: 'storage/uploads/a\\b', reason: 'unsafe name' },
        ],
        skippedFileCount: 25,
      },
      t,
    );
    expect(w).toEqual({
      label: 'Files not backed up: 25',
      lines: [
        'storage/uploads/l: symbolic link',
        'storage/uploads/p: not a regular file (pipe, socket or device)',
        'storage/uploads/a\\b: name that cannot be stored (e.g. a backslash)',
        '... and 22 more',
      ],
    });
  });

  it('reads only a backup row', () => {
    const summary = { skippedFiles: [], skippedFileCount: 2 };
    const row = (kind: Task['kind']) => ({ id: 1, kind, status: 'succeeded', origin: 'manual', summary }) as Task;
    expect(taskSkippedFiles(row('backup'), t)?.label).toBe('Files not backed up: 2');
    expect(taskSkippedFiles(row('verify'), t)).toBeNull();
  });
});
