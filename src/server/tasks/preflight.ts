import { sumEntrySizes } from '../archive/entry-scan';
import type { Manifest, ArchiveHeaderInfo } from '../archive/manifest-types';
import { preflightReport } from '../preflight/checks';
import { gatherTargetFacts } from '../preflight/facts';
import { sqlOfApp } from '../preflight/sql';
import type { PreflightReport } from '../preflight/types';
import type { BackupsService } from '../service';

/**
 * The pre-flight report of an archive against this running application. `stagingBytes`: the manifest's entries, or
 * for an encrypted archive whose manifest needs the password, the archive's size.
 */
export async function appPreflight(
  service: BackupsService,
  archive: Manifest | ArchiveHeaderInfo,
  opts: { stagingBytes: number; safetyBackup: boolean },
): Promise<PreflightReport> {
  const facts = await gatherTargetFacts({
    db: service.dbConfig(),
    underscored: !!service.app.db.options.underscored,
    nocobaseVersion: service.appVersion(),
    appDir: process.cwd(),
    paths: service.paths,
    requirements: archive.requirements,
    stagingBytes: opts.stagingBytes,
    safetyBackup: opts.safetyBackup,
    sql: sqlOfApp(service.app),
  });
  // A backup of another dialect reached here only if it can be moved (restoreTarget): the report says so, as a warning
  // the admin confirms (the dialog's tick), as the command line's --into-dialect does.
  return preflightReport(
    { dialect: archive.database.dialect, appVersion: archive.app.version, requirements: archive.requirements, move: true, confirmMove: true },
    facts,
  );
}

export const entriesBytes = (m: Manifest): Promise<number> => sumEntrySizes(m.entries);
