import fs from 'fs';
import path from 'path';
import { TASKS } from '../../constants';
import { sourcesToBackUp } from '../datasources/registry';
import { sqlOfApp } from '../preflight/sql';
import { readSettings } from '../schedule/settings-store';
import type { BackupsService } from '../service';
import { diskFact, scheduleFact, writeFact } from './folder-facts';
import { toolFact } from './tool-fact';
import type { DatabaseFact, ReadinessFacts } from './types';

/**
 * In the app: the databases a scheduled backup would dump (the app's, and the data sources the settings select),
 * the backups folder and the schedule. Read only; a probe file is created and removed.
 */
export async function gatherAppReadiness(service: BackupsService): Promise<ReadinessFacts> {
  const { app, paths } = service;
  const settings = await readSettings(app.db);
  // A source deleted since it was selected is skipped by the schedule too (skipMissing).
  const plan = await sourcesToBackUp(app, settings.dataSources, true);
  const tmpDir = path.join(paths.tmp, `readiness-${process.pid}-${Date.now()}`);
  await fs.promises.mkdir(tmpDir, { recursive: true, mode: 0o700 });
  try {
    const main = service.dbConfig();
    const databases: DatabaseFact[] = [{ source: 'main', dialect: main.dialect, tool: await toolFact(main, tmpDir) }];
    for (const s of plan?.dump ?? []) databases.push({ source: s.key, dialect: s.db.dialect, tool: await toolFact(s.db, tmpDir) });
    return {
      databases,
      skippedSources: (plan?.skipped ?? []).map((s) => ({ key: s.key, type: s.type })),
      write: await writeFact(paths.archives),
      disk: await diskFact(paths.archives, { lastBackupBytes: await lastBackupBytes(service), db: main, storage: paths.storage, sql: sqlOfApp(app) }),
      schedule: scheduleFact(settings),
    };
  } finally {
    await fs.promises.rm(tmpDir, { recursive: true, force: true });
  }
}

/** The newest successful backup's archive size (safety backups included: they are the same kind of archive). */
async function lastBackupBytes(service: BackupsService): Promise<number | null> {
  const row = await service.app.db.getRepository(TASKS).findOne({
    filter: { kind: 'backup', status: 'succeeded' },
    sort: ['-finishedAt', '-id'],
  });
  const size = row ? Number(row.get('size')) : NaN;
  return Number.isFinite(size) && size > 0 ? size : null;
}
