import fs from 'fs';
import path from 'path';
import { TASKS } from '../../constants';
import { freeBytes } from '../archive/free-space';
import { findJson } from '../db/find-json';
import { remoteOf } from '../offsite/offsite';
import { readSettings } from '../schedule/settings-store';
import type { BackupsService } from '../service';
import { assembleHealth, CHART_POINTS, type HealthBackup, type HealthDrill, type HealthFacts } from './assemble';

type Row = HealthBackup & { remote?: unknown; kind: string };

/** Reads what the health panel needs (rows, settings, the archives folder) and assembles it. */
export async function gatherHealth(service: BackupsService, now = new Date()): Promise<HealthFacts> {
  const repo = service.app.db.getRepository(TASKS);
  const settings = await readSettings(service.app.db);
  // Failed rows count too (the newest attempt's outcome), so a few more than the chart's points.
  const rows = await findJson<Row>(repo, { filter: { kind: 'backup' }, sort: ['-createdAt', '-id'], limit: CHART_POINTS * 2 });
  const backups = rows.map((r) => ({ ...r, remoteAt: remoteOf(r as unknown as Record<string, unknown>)?.uploadedAt ?? null }));
  const [lastGood] = await findJson<Row>(repo, {
    filter: { kind: 'backup', status: 'succeeded' },
    sort: ['-finishedAt', '-id'],
    limit: 1,
  });
  const [lastDrill] = await findJson<HealthDrill>(repo, { filter: { kind: 'drill' }, sort: ['-createdAt', '-id'], limit: 1 });
  // Another helper adds staleAfterHours to the settings (alerts); read it when it is there.
  const staleAfterHours = (settings as unknown as { staleAfterHours?: number | null }).staleAfterHours ?? null;
  return assembleHealth({
    now,
    backups,
    lastGoodAt: lastGood ? ((lastGood.finishedAt ?? lastGood.createdAt) as string) : null,
    schedule: { ...settings, staleAfterHours },
    lastDrill: lastDrill ?? null,
    disk: await diskOf(service.paths.archives).catch(() => null),
  });
}

/** Bytes of the archives in our folder, and the free space of its filesystem. */
async function diskOf(dir: string): Promise<{ usedBytes: number; freeBytes: number; archives: number }> {
  let usedBytes = 0;
  let archives = 0;
  for (const name of await fs.promises.readdir(dir).catch(() => [] as string[])) {
    if (name.startsWith('.')) continue;
    const st = await fs.promises.stat(path.join(dir, name)).catch(() => null);
    if (!st?.isFile()) continue;
    usedBytes += st.size;
    archives += 1;
  }
  return { usedBytes, freeBytes: (await freeBytes(dir)).free, archives };
}
