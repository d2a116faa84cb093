import { preflightReport } from '../../preflight/checks';
import { reportText } from '../preflight-text';

describe('the pre-flight report on a command line', () => {
  it('one line per check, the fix under warnings and blocking ones, and whether NocoBase upgrades', () => {
    const report = preflightReport(
      { dialect: 'sqlite', appVersion: '2.2.14' },
      { dialect: 'sqlite', nocobaseVersion: '2.2.15', plugins: {}, db: { underscored: false }, disk: { free: 1024, needed: 0, where: '/srv' }, privileges: { ok: true, missing: '' } },
    );
    expect(reportText(report).split('\n')).toEqual([
      'Pre-flight checks:',
      '  [ok      ] Database: sqlite, as in the backup.',
      "  [WARNING ] The backup was made by NocoBase 2.2.14; 2.2.15 is installed here: NocoBase's upgrade will run after the restore.",
      '               fix: Nothing to do: the upgrade migrates the restored data to 2.2.15. Keep the safety backup on.',
      '  [WARNING ] This backup was made before restore requirements were recorded: plugins, database settings and dump format cannot be checked.',
      '               fix: Make sure the same plugins are installed and DB_UNDERSCORED, DB_SCHEMA and DB_TABLE_PREFIX match the application the backup came from.',
      '  [BLOCKING] Not enough free disk space in /srv: 64 MiB needed for staging and the safety backup, 0 MiB free.',
      '               fix: Free some space (old backups, logs), or turn the safety backup off if you have another copy, then restore.',
      '  [ok      ] The database user may drop and create what the restore replaces.',
      "  1 blocking, 2 warning(s). NocoBase's upgrade runs after the restore.",
    ]);
  });
});
