import enUS from '../../../locale/en-US.json';
import zhCN from '../../../locale/zh-CN.json';
import { readinessReport } from '../report';
import { scheduleFact } from '../folder-facts';
import type { ReadinessFacts } from '../types';

const GiB = 1024 ** 3;

function facts(over: Partial<ReadinessFacts> = {}): ReadinessFacts {
  return {
    databases: [{ source: 'main', dialect: 'postgres', tool: { state: 'ok', tool: 'pg_dump', version: '15.8', serverVersion: '15.8' } }],
    skippedSources: [],
    disk: { free: 50 * GiB, needed: 1 * GiB, where: '/srv/storage', basis: 'last-backup' },
    write: { ok: true, where: '/srv/storage/backups-manager/main' },
    schedule: { enabled: true, cron: '0 3 * * *', timezone: 'UTC', next: '2026-12-06 03:00 UTC' },
    ...over,
  };
}

const line = (r: ReturnType<typeof readinessReport>, id: string) => r.checks.find((c) => c.id === id);

describe('readinessReport', () => {
  it('all ok: every line ok, nothing counted', () => {
    const r = readinessReport(facts());
    expect(r.blocking).toBe(0);
    expect(r.warnings).toBe(0);
    expect(r.checks.map((c) => [c.id, c.level, c.code])).toEqual([
      ['tool:main', 'ok', 'READINESS_OK_TOOL'],
      ['disk', 'ok', 'READINESS_OK_DISK_LAST'],
      ['write', 'ok', 'READINESS_OK_WRITE'],
      ['schedule', 'ok', 'READINESS_OK_SCHEDULE'],
    ]);
    expect(line(r, 'tool:main')?.message).toBe('Database main (postgres): pg_dump 15.8 found, server 15.8.');
    expect(line(r, 'schedule')?.message).toContain('next run 2026-12-06 03:00 UTC');
  });

  it('a missing dump tool blocks, with the install fix of its dialect', () => {
    const r = readinessReport(
      facts({
        databases: [
          { source: 'main', dialect: 'postgres', tool: { state: 'missing', tool: 'pg_dump' } },
          { source: 'crm', dialect: 'mariadb', tool: { state: 'missing', tool: 'mariadb-dump' } },
        ],
      }),
    );
    expect(r.blocking).toBe(2);
    expect(line(r, 'tool:main')).toMatchObject({ level: 'blocking', code: 'READINESS_TOOL_MISSING_POSTGRES', params: { tool: 'pg_dump' } });
    expect(line(r, 'tool:crm')).toMatchObject({ level: 'blocking', code: 'READINESS_TOOL_MISSING_MARIADB', params: { source: 'crm' } });
    expect((enUS as Record<string, string>).READINESS_TOOL_MISSING_POSTGRES_FIX).toContain('apt-get install postgresql-client');
  });

  it('a tool older than the server blocks; the fix names the major and carries the dumper hint', () => {
    const hint = 'Install client tools 16 or newer (e.g. apt-get install postgresql-client-16 from apt.postgresql.org).';
    const r = readinessReport(
      facts({ databases: [{ source: 'main', dialect: 'postgres', tool: { state: 'too-old', tool: 'pg_dump', version: '15.8', serverVersion: '16.4 (Debian 16.4-1)', hint } }] }),
    );
    expect(line(r, 'tool:main')).toMatchObject({ level: 'blocking', code: 'READINESS_TOOL_TOO_OLD', params: { major: '16', hint } });
    const mysql = readinessReport(
      facts({ databases: [{ source: 'main', dialect: 'mysql', tool: { state: 'too-old', tool: 'mysqldump', version: '5.7.1', serverVersion: '8.0.36', hint: 'x' } }] }),
    );
    expect(line(mysql, 'tool:main')?.params.major).toBe('8.0');
  });

  it('a tool that cannot reach the server blocks with its detail', () => {
    const r = readinessReport(
      facts({ databases: [{ source: 'main', dialect: 'postgres', tool: { state: 'failed', tool: 'psql', detail: 'connection refused' } }] }),
    );
    expect(line(r, 'tool:main')).toMatchObject({ level: 'blocking', code: 'READINESS_TOOL_FAILED' });
    expect(line(r, 'tool:main')?.message).toContain('connection refused');
  });

  it('SQLite needs no tool: ok', () => {
    const r = readinessReport(facts({ databases: [{ source: 'main', dialect: 'sqlite', tool: { state: 'none' } }] }));
    expect(line(r, 'tool:main')).toMatchObject({ level: 'ok', code: 'READINESS_OK_NO_TOOL' });
    expect(r.blocking + r.warnings).toBe(0);
  });

  it('disk: blocking below one backup plus the margin, warning below two, ok above; the basis picks the text', () => {
    const at = (free: number, basis: 'last-backup' | 'sizes' = 'last-backup') =>
      line(readinessReport(facts({ disk: { free, needed: 1 * GiB, where: '/srv', basis } })), 'disk');
    expect(at(0.5 * GiB)).toMatchObject({ level: 'blocking', code: 'READINESS_DISK_LOW_LAST' });
    expect(at(1.5 * GiB)).toMatchObject({ level: 'warning', code: 'READINESS_DISK_TIGHT_LAST' });
    expect(at(3 * GiB)).toMatchObject({ level: 'ok', code: 'READINESS_OK_DISK_LAST' });
    expect(at(0.5 * GiB, 'sizes')).toMatchObject({ level: 'blocking', code: 'READINESS_DISK_LOW_SIZES' });
    expect(at(0.5 * GiB)?.params).toMatchObject({ free: '512 MiB', needed: '1.1 GiB', where: '/srv' });
    expect(line(readinessReport(facts({ disk: undefined })), 'disk')).toMatchObject({ level: 'warning', code: 'READINESS_DISK_UNKNOWN' });
  });

  it('an unwritable backups folder blocks', () => {
    const r = readinessReport(facts({ write: { ok: false, where: '/srv/b', detail: 'EACCES' } }));
    expect(line(r, 'write')).toMatchObject({ level: 'blocking', code: 'READINESS_NOT_WRITABLE' });
    expect(line(r, 'write')?.message).toBe('The backups folder /srv/b cannot be written (EACCES).');
  });

  it('schedule: off is ok, on without a next run warns, unread is ok and says so', () => {
    expect(line(readinessReport(facts({ schedule: { enabled: false, cron: '0 3 * * *', timezone: 'UTC', next: null } })), 'schedule')).toMatchObject({
      level: 'ok',
      code: 'READINESS_OK_SCHEDULE_OFF',
    });
    expect(line(readinessReport(facts({ schedule: { enabled: true, cron: '0 0 31 2 *', timezone: 'UTC', next: null } })), 'schedule')).toMatchObject({
      level: 'warning',
      code: 'READINESS_SCHEDULE_NO_RUN',
    });
    expect(line(readinessReport(facts({ schedule: undefined })), 'schedule')).toMatchObject({ level: 'ok', code: 'READINESS_SCHEDULE_NOT_READ' });
  });

  it('selected sources no tool dumps, or the command line cannot check, warn', () => {
    const r = readinessReport(facts({ skippedSources: [{ key: 'erp', type: 'mssql' }], uncheckedSources: ['crm'] }));
    expect(r.warnings).toBe(2);
    expect(line(r, 'source:erp')).toMatchObject({ level: 'warning', code: 'READINESS_SOURCE_SKIPPED', params: { type: 'mssql' } });
    expect(line(r, 'source:crm')).toMatchObject({ level: 'warning', code: 'READINESS_SOURCE_UNCHECKED' });
  });

  it('every code used, and the fix of every warning and blocking code, exists in both languages', () => {
    const en = enUS as Record<string, string>;
    const zh = zhCN as Record<string, string>;
    const keys = Object.keys(en).filter((k) => k.startsWith('READINESS_'));
    expect(keys.length).toBeGreaterThan(20);
    for (const k of keys) expect(zh[k]).toBeTruthy();
    const levels = ['READINESS_TOOL_MISSING_KINGBASE', 'READINESS_TOOL_MISSING_MYSQL', 'READINESS_DISK_TIGHT_SIZES', 'READINESS_DISK_LOW_LAST'];
    for (const k of [...levels, ...keys.filter((k) => !k.startsWith('READINESS_OK_') && !k.endsWith('_FIX') && k !== 'READINESS_SCHEDULE_NOT_READ')]) {
      expect(en[`${k}_FIX`]).toBeTruthy();
    }
  });
});

describe('scheduleFact', () => {
  it('the next run in the schedule time zone; none while off or for an invalid expression', () => {
    const now = new Date('2026-12-05T10:00:00Z');
    expect(scheduleFact({ enabled: true, cron: '0 3 * * *', timezone: 'Asia/Shanghai' }, now)).toEqual({
      enabled: true,
      cron: '0 3 * * *',
      timezone: 'Asia/Shanghai',
      next: '2026-12-06 03:00 Asia/Shanghai',
    });
    expect(scheduleFact({ enabled: false, cron: '0 3 * * *', timezone: 'UTC' }, now)?.next).toBeNull();
    expect(scheduleFact({ enabled: true, cron: 'not a cron', timezone: 'UTC' }, now)?.next).toBeNull();
  });
});
