import { formatSize, SPACE_MARGIN } from '../archive/free-space';
import { parseVersionNumbers } from '../dumpers/versions';
import { english } from '../preflight/checks';
import type { DatabaseFact, ReadinessCheck, ReadinessFacts, ReadinessLevel, ReadinessReport } from './types';

// Pure: the facts judged, one line each. Fix texts are the `<code>_FIX` locale keys, with the same params.

/** The tool-missing codes are per dialect: each has its own install instructions (`<code>_FIX`). */
const MISSING_CODE: Record<string, string> = {
  postgres: 'READINESS_TOOL_MISSING_POSTGRES',
  kingbase: 'READINESS_TOOL_MISSING_KINGBASE',
  mysql: 'READINESS_TOOL_MISSING_MYSQL',
  mariadb: 'READINESS_TOOL_MISSING_MARIADB',
};

/** The source's name in a line: the application's database or the data source's key. */
const sourceName = (source: string) => (source === 'main' ? 'main' : source);

export function readinessReport(facts: ReadinessFacts): ReadinessReport {
  const checks: ReadinessCheck[] = [];
  const add = (id: string, level: ReadinessLevel, code: string, params: Record<string, string | number> = {}) =>
    checks.push({ id, level, code, params, message: english(code, params) });

  for (const db of facts.databases) databaseCheck(db, add);
  for (const s of facts.skippedSources) add(`source:${s.key}`, 'warning', 'READINESS_SOURCE_SKIPPED', { source: s.key, type: s.type });
  for (const key of facts.uncheckedSources ?? []) add(`source:${key}`, 'warning', 'READINESS_SOURCE_UNCHECKED', { source: key });
  diskCheck(facts, add);
  if (facts.write.ok) add('write', 'ok', 'READINESS_OK_WRITE', { where: facts.write.where });
  else add('write', 'blocking', 'READINESS_NOT_WRITABLE', { where: facts.write.where, detail: facts.write.detail || '-' });
  scheduleCheck(facts, add);

  const count = (level: ReadinessLevel) => checks.filter((c) => c.level === level).length;
  return { checks, blocking: count('blocking'), warnings: count('warning') };
}

type Add = (id: string, level: ReadinessLevel, code: string, params?: Record<string, string | number>) => void;

function databaseCheck(db: DatabaseFact, add: Add): void {
  const id = `tool:${db.source}`;
  const base = { source: sourceName(db.source), dialect: db.dialect };
  const t = db.tool;
  switch (t.state) {
    case 'none':
      add(id, 'ok', 'READINESS_OK_NO_TOOL', base);
      return;
    case 'ok':
      add(id, 'ok', 'READINESS_OK_TOOL', { ...base, tool: t.tool, version: t.version, serverVersion: t.serverVersion });
      return;
    case 'missing':
      add(id, 'blocking', MISSING_CODE[db.dialect] ?? 'READINESS_TOOL_MISSING_POSTGRES', { ...base, tool: t.tool });
      return;
    case 'too-old': {
      // The server's major (PostgreSQL '16.4' -> 16; MySQL family '10.11.6-MariaDB' -> 10.11) for the fix text.
      const nums = parseVersionNumbers(t.serverVersion) ?? [];
      const major = db.dialect === 'postgres' || db.dialect === 'kingbase' ? String(nums[0] ?? '') : nums.slice(0, 2).join('.');
      add(id, 'blocking', 'READINESS_TOOL_TOO_OLD', { ...base, tool: t.tool, version: t.version, serverVersion: t.serverVersion, major, hint: t.hint });
      return;
    }
    case 'failed':
      add(id, 'blocking', 'READINESS_TOOL_FAILED', { ...base, tool: t.tool, detail: t.detail });
  }
}

function diskCheck(facts: ReadinessFacts, add: Add): void {
  const disk = facts.disk;
  if (!disk) {
    add('disk', 'warning', 'READINESS_DISK_UNKNOWN', { where: facts.write.where });
    return;
  }
  const params = { free: formatSize(disk.free), needed: formatSize(disk.needed + SPACE_MARGIN), where: disk.where };
  const basis = disk.basis === 'last-backup' ? 'LAST' : 'SIZES';
  if (disk.needed + SPACE_MARGIN > disk.free) add('disk', 'blocking', `READINESS_DISK_LOW_${basis}`, params);
  // Room for this backup but not the next one: retention then has nothing to make room with.
  else if (2 * disk.needed + SPACE_MARGIN > disk.free) add('disk', 'warning', `READINESS_DISK_TIGHT_${basis}`, params);
  else add('disk', 'ok', `READINESS_OK_DISK_${basis}`, params);
}

function scheduleCheck(facts: ReadinessFacts, add: Add): void {
  const s = facts.schedule;
  if (!s) add('schedule', 'ok', 'READINESS_SCHEDULE_NOT_READ');
  // Off is a choice (Backup now still works), not a fault.
  else if (!s.enabled) add('schedule', 'ok', 'READINESS_OK_SCHEDULE_OFF');
  else if (!s.next) add('schedule', 'warning', 'READINESS_SCHEDULE_NO_RUN', { cron: s.cron, timezone: s.timezone });
  else add('schedule', 'ok', 'READINESS_OK_SCHEDULE', { next: s.next, timezone: s.timezone, cron: s.cron });
}

