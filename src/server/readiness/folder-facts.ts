import { randomBytes } from 'crypto';
import fs from 'fs';
import path from 'path';
import type { DbConfig } from '../dumpers/types';
import { appDataBytes, measure } from '../preflight/facts';
import type { SqlValue } from '../preflight/sql';
import { formatInZone, nextRun } from '../schedule/cron';
import type { ReadinessFacts } from './types';

/** Free space where archives are written, against a backup of today's size (the last one's, else the data's). */
export async function diskFact(
  archives: string,
  input: { lastBackupBytes?: number | null; db: DbConfig; storage: string; sql?: SqlValue },
): Promise<ReadinessFacts['disk']> {
  const room = await measure(archives);
  if (!room) return undefined;
  const last = Number(input.lastBackupBytes);
  if (Number.isFinite(last) && last > 0) return { free: room.free, needed: last, where: room.where, basis: 'last-backup' };
  return { free: room.free, needed: await appDataBytes(input.db, input.storage, input.sql), where: room.where, basis: 'sizes' };
}

/** Creates and removes a probe file in the backups folder (made if missing, as a backup would). */
export async function writeFact(archives: string): Promise<ReadinessFacts['write']> {
  const probe = path.join(archives, `.readiness-${process.pid}-${randomBytes(4).toString('hex')}`);
  try {
    await fs.promises.mkdir(archives, { recursive: true, mode: 0o700 });
    await fs.promises.writeFile(probe, 'ok', { flag: 'wx', mode: 0o600 });
    await fs.promises.rm(probe, { force: true });
    return { ok: true, where: archives };
  } catch (err) {
    await fs.promises.rm(probe, { force: true }).catch(() => undefined);
    return { ok: false, where: archives, detail: (err as NodeJS.ErrnoException)?.code || (err as Error)?.message };
  }
}

/** The schedule's next run, in its own time zone. */
export function scheduleFact(s: { enabled: boolean; cron: string; timezone: string }, now = new Date()): ReadinessFacts['schedule'] {
  let next: Date | null = null;
  try {
    next = s.enabled ? nextRun(s.cron, s.timezone, now) : null;
  } catch {
    next = null;
  }
  return { enabled: s.enabled, cron: s.cron, timezone: s.timezone, next: next ? formatInZone(next, s.timezone) : null };
}
