import fs from 'fs';
import path from 'path';
import { ARCHIVE_EXT } from '../../constants';
import { planSources } from '../datasources/kinds';
import { checkTools } from '../engine/tool-check';
import { getDumper } from '../dumpers';
import { sqlOfTool, type SqlValue } from '../preflight/sql';
import { diskFact, scheduleFact, writeFact } from '../readiness/folder-facts';
import { readinessReport } from '../readiness/report';
import { toolFact } from '../readiness/tool-fact';
import type { DatabaseFact, ReadinessFacts, ReadinessReport } from '../readiness/types';
import { dataSourcesSql, parseDataSources, parseSettings, settingsSql, usesTemplates } from './doctor-sql';
import { doctorText } from './doctor-text';
import { EXIT, type ExitCode } from './exit-codes';
import type { StandaloneContext } from './standalone-context';

/**
 * `nb-backups doctor`: the settings page's readiness lines, from the app's .env and its database (read through the
 * database's client tool). Exit 0 all ok, DOCTOR_WARNINGS, DOCTOR_BLOCKING.
 */
export async function doctorCommand(ctx: StandaloneContext): Promise<ExitCode> {
  const report = readinessReport(await gatherCliReadiness(ctx));
  const exitCode = doctorExitCode(report);
  ctx.out.result({ exitCode, report }, doctorText(report));
  return exitCode;
}

export function doctorExitCode(report: ReadinessReport): ExitCode {
  if (report.blocking) return EXIT.DOCTOR_BLOCKING;
  return report.warnings ? EXIT.DOCTOR_WARNINGS : EXIT.OK;
}

async function gatherCliReadiness(ctx: StandaloneContext): Promise<ReadinessFacts> {
  const { db, paths } = ctx;
  const tmpDir = path.join(paths.tmp, `doctor-${process.pid}-${Date.now()}`);
  // The probe first: the scratch folder lives under the backups folder.
  const write = await writeFact(paths.archives);
  const madeTmp = await fs.promises.mkdir(tmpDir, { recursive: true, mode: 0o700 }).then(() => true, () => false);
  const scratch = madeTmp ? tmpDir : undefined;
  try {
    const main: DatabaseFact = { source: 'main', dialect: db.dialect, tool: await toolFact(db, scratch ?? paths.archives) };
    const sql = main.tool.state === 'ok' && scratch ? await clientSql(ctx, scratch) : undefined;
    const facts: ReadinessFacts = {
      databases: [main],
      skippedSources: [],
      write,
      disk: await diskFact(paths.archives, { lastBackupBytes: newestArchiveBytes(paths.archives), db, storage: paths.storage, sql }),
      schedule: undefined,
    };
    // SQLite's tables would need the app's sqlite3 module: the settings page reads them there.
    if (!sql) return facts;
    const underscored = ctx.env.DB_UNDERSCORED === 'true';
    const settings = parseSettings(await sql(settingsSql(db, underscored)).catch(() => null));
    facts.schedule = scheduleFact(settings);
    if (!settings.dataSources.length) return facts;
    const rows = parseDataSources(await sql(dataSourcesSql(db, underscored)).catch(() => null));
    const unchecked = rows.filter((r) => settings.dataSources.includes(r.key) && usesTemplates(r)).map((r) => r.key);
    const plan = planSources(settings.dataSources.filter((k) => !unchecked.includes(k)), rows, true);
    for (const s of plan.dump) facts.databases.push({ source: s.key, dialect: s.db.dialect, tool: await toolFact(s.db, tmpDir) });
    facts.skippedSources = plan.skipped.map((s) => ({ key: s.key, type: s.type }));
    facts.uncheckedSources = unchecked;
    return facts;
  } finally {
    if (madeTmp) await fs.promises.rm(tmpDir, { recursive: true, force: true });
  }
}

async function clientSql(ctx: StandaloneContext, tmpDir: string): Promise<SqlValue | undefined> {
  const dumper = getDumper(ctx.db.dialect);
  if (dumper.kind !== 'tool') return undefined;
  const { tool } = await checkTools(dumper, ctx.db, tmpDir);
  return sqlOfTool(ctx.db, tool, tmpDir);
}

/** The newest archive's size: a backup of today's size, as near as the folder knows without the app's task list. */
function newestArchiveBytes(folder: string): number | null {
  let newest: { mtime: number; size: number } | null = null;
  let names: string[] = [];
  try {
    names = fs.readdirSync(folder);
  } catch {
    return null;
  }
  for (const name of names) {
    if (!name.endsWith(ARCHIVE_EXT) || name.startsWith('.')) continue;
    try {
      const s = fs.statSync(path.join(folder, name));
      if (s.isFile() && (!newest || s.mtimeMs > newest.mtime)) newest = { mtime: s.mtimeMs, size: s.size };
    } catch {
      /* removed meanwhile */
    }
  }
  return newest?.size ?? null;
}
