import { readinessReport } from '../../readiness/report';
import type { ReadinessFacts } from '../../readiness/types';
import { dataSourcesSql, parseDataSources, parseSettings, settingsSql, usesTemplates } from '../doctor-sql';
import { snake } from '../../db/table-ref';
import { doctorExitCode } from '../doctor';
import { doctorText } from '../doctor-text';
import { parseArgs } from '../args';
import { EXIT } from '../exit-codes';

const base: ReadinessFacts = {
  databases: [{ source: 'main', dialect: 'postgres', tool: { state: 'ok', tool: 'pg_dump', version: '15.8', serverVersion: '15.8' } }],
  skippedSources: [],
  disk: { free: 100 * 1024 ** 3, needed: 1024 ** 3, where: '/srv', basis: 'sizes' },
  write: { ok: true, where: '/srv/b' },
  schedule: { enabled: false, cron: '0 3 * * *', timezone: 'UTC', next: null },
};

describe('nb-backups doctor (pure parts)', () => {
  it('exit codes: 0 all ok, 5 warnings only, 6 as soon as one line blocks', () => {
    expect(EXIT.DOCTOR_WARNINGS).toBe(5);
    expect(EXIT.DOCTOR_BLOCKING).toBe(6);
    expect(doctorExitCode(readinessReport(base))).toBe(EXIT.OK);
    expect(doctorExitCode(readinessReport({ ...base, disk: undefined }))).toBe(EXIT.DOCTOR_WARNINGS);
    expect(doctorExitCode(readinessReport({ ...base, disk: undefined, write: { ok: false, where: '/x', detail: 'EACCES' } }))).toBe(EXIT.DOCTOR_BLOCKING);
  });

  it('prints one line per check and the fix under the problems', () => {
    const text = doctorText(readinessReport({ ...base, databases: [{ source: 'main', dialect: 'postgres', tool: { state: 'missing', tool: 'pg_dump' } }] }));
    const lines = text.split('\n');
    expect(lines[0]).toBe('Readiness:');
    expect(lines[1]).toBe("  [BLOCKING] Database main (postgres): pg_dump was not found on this server's PATH, so no backup can be made.");
    expect(lines[2]).toMatch(/^ {15}fix: Install the PostgreSQL client tools .*apt-get install postgresql-client/);
    expect(lines[lines.length - 1]).toBe('  1 blocking, 0 warning(s): backups will fail until the blocking lines are fixed.');
  });

  it('doctor takes --json and --app-dir only', () => {
    expect(parseArgs(['doctor', '--json', '--app-dir', '/srv/app'])).toMatchObject({ command: 'doctor', json: true, appDir: '/srv/app' });
    expect(() => parseArgs(['doctor', '--yes'])).toThrow('--yes does not apply to doctor');
    expect(() => parseArgs(['doctor', 'x.nbbm'])).toThrow('Unexpected argument');
  });

  it('reads the settings and the sources with names as NocoBase makes them (prefix, schema, DB_UNDERSCORED)', () => {
    expect(snake('backupsManagerSettings')).toBe('backups_manager_settings');
    const pg = { dialect: 'postgres' as const, schema: 'nb', tablePrefix: 't_' };
    expect(settingsSql(pg, false)).toBe('SELECT row_to_json(t)::text FROM "nb"."t_backupsManagerSettings" t WHERE id = 1');
    expect(dataSourcesSql(pg, true)).toContain('FROM "nb"."t_data_sources"');
    const my = { dialect: 'mariadb' as const };
    expect(settingsSql(my, true)).toBe(
      "SELECT JSON_OBJECT('enabled', `enabled`, 'cron', `cron`, 'timezone', `timezone`, 'dataSources', `data_sources`) FROM `backups_manager_settings` WHERE id = 1",
    );
    expect(dataSourcesSql(my, false)).toContain('FROM `dataSources`');
  });

  it('parses the answers: snake_case columns, 1 for true, MariaDB JSON as text; the main source left out', () => {
    expect(parseSettings('{"enabled":1,"cron":"0 4 * * *","timezone":"UTC","data_sources":"[\\"crm\\"]"}')).toMatchObject({
      enabled: true,
      cron: '0 4 * * *',
      dataSources: ['crm'],
    });
    expect(parseSettings(null)).toMatchObject({ enabled: false, dataSources: [] });
    const rows = parseDataSources('[{"key":"main","type":"main","options":{}},{"key":"crm","type":"postgres","options":"{\\"host\\":\\"{{$env.CRM_HOST}}\\"}"}]');
    expect(rows).toEqual([{ key: 'crm', type: 'postgres', options: { host: '{{$env.CRM_HOST}}' } }]);
    expect(usesTemplates(rows[0])).toBe(true);
    expect(usesTemplates({ key: 'x', type: 'postgres', options: { host: 'db' } })).toBe(false);
    expect(parseDataSources(null)).toEqual([]);
  });
});
