import {
  mainDumpEntry,
  RESERVED_NAMES,
  sourceDumpEntry,
  STORAGE_PREFIX,
  STORED_NAME_RE,
  storedEntryName,
  subAppDumpEntry,
  PLUGINS_ENTRY,
  UPLOADS_ENTRY,
} from '../layout';
import { isCanonicalEntryPath } from '../safe-path';

describe('archive layout', () => {
  it('names encrypted entries as the manifest check expects them', () => {
    expect(storedEntryName(1)).toBe('e/000001');
    expect(storedEntryName(1234567)).toBe('e/1234567');
    expect(STORED_NAME_RE.test(storedEntryName(42))).toBe(true);
    for (const name of RESERVED_NAMES) expect(STORED_NAME_RE.test(name)).toBe(false);
  });

  it('builds canonical entry paths that never collide with the metadata names', () => {
    const built = [
      mainDumpEntry('postgres'),
      mainDumpEntry('sqlite'),
      subAppDumpEntry('app1', 'mysql'),
      subAppDumpEntry('app1', 'sqlite'),
      sourceDumpEntry('crm'),
      UPLOADS_ENTRY,
      PLUGINS_ENTRY,
    ];
    expect(built).toEqual([
      'db/main.dump',
      'db/main.sqlite',
      'apps/app1/db.dump',
      'apps/app1/db.sqlite',
      'sources/crm/db.dump',
      'storage/uploads',
      'storage/plugins',
    ]);
    for (const p of built) {
      expect(isCanonicalEntryPath(p)).toBe(true);
      expect(RESERVED_NAMES).not.toContain(p);
    }
    expect(UPLOADS_ENTRY.startsWith(STORAGE_PREFIX) && PLUGINS_ENTRY.startsWith(STORAGE_PREFIX)).toBe(true);
  });
});
