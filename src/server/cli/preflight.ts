import fs from 'fs';
import { readHeader } from '../archive';
import { preflightReport } from '../preflight/checks';
import { gatherTargetFacts } from '../preflight/facts';
import { assertPreflight } from '../preflight/gate';
import type { SqlValue } from '../preflight/sql';
import type { PreflightReport } from '../preflight/types';
import { reportText } from './preflight-text';
import type { StandaloneContext } from './standalone-context';

export interface CliPreflightOptions {
  safetyBackup: boolean;
  acceptWarnings: boolean;
  nocobaseVersion?: string;
  /** DB_UNDERSCORED as the app's database runs with (app CLI); default: the app's environment. */
  underscored?: boolean;
  /** The app CLI's own connection; the standalone command asks through the database's client tool. */
  sql?: SqlValue;
  /** restore --into-dialect. */
  move?: boolean;
}

/**
 * Both command lines, before anything is touched: the report from the archive's plain header (no password needed),
 * printed on stderr; refuses on a blocking check, and on warnings without --accept-warnings.
 */
export async function cliPreflight(ctx: StandaloneContext, file: string, opts: CliPreflightOptions): Promise<PreflightReport> {
  const header = await readHeader(file);
  const facts = await gatherTargetFacts({
    db: ctx.db,
    underscored: opts.underscored ?? ctx.env.DB_UNDERSCORED === 'true',
    nocobaseVersion: opts.nocobaseVersion,
    appDir: ctx.appDir,
    paths: ctx.paths,
    requirements: header.requirements,
    // Entries are stored, not compressed: the archive's size is about what staging takes.
    stagingBytes: (await fs.promises.stat(file)).size,
    safetyBackup: opts.safetyBackup,
    sql: opts.sql,
  });
  const report = preflightReport({ dialect: header.database.dialect, appVersion: header.app.version, requirements: header.requirements, move: opts.move }, facts);
  ctx.out.step(reportText(report));
  try {
    assertPreflight(report, opts.acceptWarnings);
  } catch (err) {
    // --json prints `report` with the error.
    throw Object.assign(err as Error, { report });
  }
  return report;
}
