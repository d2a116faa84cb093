import { archiveNameOfKey, isArchiveFileName, normalisePrefix, remoteFolder, remoteKey } from '../keys';

describe('off-site keys', () => {
  it('puts archives under <storage path>/backups-manager/<app>/', () => {
    expect(remoteKey('', 'main', 'main_20261126-010203-004.nbbm')).toBe('backups-manager/main/main_20261126-010203-004.nbbm');
    expect(remoteKey('/nocobase/prod/', 'main', 'a.nbbm')).toBe('nocobase/prod/backups-manager/main/a.nbbm');
    expect(remoteKey(null, 'main', 'a.nbbm')).toBe('backups-manager/main/a.nbbm');
    expect(remoteFolder('x//./y', 'my app')).toBe('x/y/backups-manager/my_app/');
  });

  it('refuses a storage path that climbs out, and names that are not bare archive names', () => {
    expect(() => normalisePrefix('a/../b')).toThrow(/unsafe/);
    expect(() => normalisePrefix('a\\b')).toThrow(/unsafe/);
    for (const bad of ['../a.nbbm', 'a/b.nbbm', '.hidden.nbbm', 'a.zip', '.nbbm', 'a\\b.nbbm']) {
      expect(isArchiveFileName(bad)).toBe(false);
      expect(() => remoteKey('', 'main', bad)).toThrow(/not an archive name/);
    }
  });

  it('reads back only archives directly in our folder', () => {
    const folder = remoteFolder('p', 'main');
    expect(archiveNameOfKey(`${folder}main_1.nbbm`, folder)).toBe('main_1.nbbm');
    expect(archiveNameOfKey(`${folder}sub/main_1.nbbm`, folder)).toBeNull();
    expect(archiveNameOfKey(`${folder}notes.txt`, folder)).toBeNull();
    expect(archiveNameOfKey('p/backups-manager/other/main_1.nbbm', folder)).toBeNull();
    expect(archiveNameOfKey('elsewhere/main_1.nbbm', folder)).toBeNull();
  });
});
