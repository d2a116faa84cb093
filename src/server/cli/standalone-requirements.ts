import fs from 'fs';
import path from 'path';
import { getDumper } from '../dumpers';
import { resolveSqlite3 } from '../dumpers/sqlite-snapshot';
import { checkTools } from '../engine/tool-check';
import { carriedIn, requiredPlugins } from '../preflight/gather';
import { parsePluginRows, pluginRowsSql } from '../preflight/plugin-rows';
import { sqlOfSqlite, sqlOfTool, type SqlValue } from '../preflight/sql';
import type { RequirementsDraft } from '../preflight/types';
import { installedAppVersion } from './env-file';
import type { StandaloneContext } from './standalone-context';

/**
 * What a restore of a backup made by the standalone command must match, read without NocoBase: the installed
 * NocoBase version, DB_UNDERSCORED, MySQL's lower_case_table_names, and the enabled plugins from NocoBase's own
 * applicationPlugins table (through the database's client, or the app's sqlite3 module), as the app's own backups
 * record them. A plugin table that cannot be read (an app never installed) leaves the list out: a restore's pre-flight
 * then says the plugins could not be checked.
 */
export async function standaloneRequirements(
  ctx: StandaloneContext,
  tmpDir: string,
  opts: { includePlugins: boolean },
): Promise<RequirementsDraft> {
  const underscored = ctx.env.DB_UNDERSCORED === 'true';
  await fs.promises.mkdir(tmpDir, { recursive: true, mode: 0o700 });
  const sql = await sqlOf(ctx, tmpDir);
  let lowerCaseTableNames: number | undefined;
  if (ctx.db.dialect === 'mysql' || ctx.db.dialect === 'mariadb') {
    const v = await sql('SELECT @@lower_case_table_names').catch(() => null);
    if (v !== null && /^\d+$/.test(v)) lowerCaseTableNames = Number(v);
  }
  let plugins: RequirementsDraft['plugins'];
  try {
    const rows = parsePluginRows(await sql(pluginRowsSql(ctx.db, underscored)));
    plugins = requiredPlugins(rows, carriedIn(ctx.paths.storage, opts.includePlugins));
  } catch (err) {
    // The tool's first line names the cause (the relation that does not exist); the rest is the statement.
    const cause = String((err as Error)?.message ?? err).split('\n')[0];
    ctx.out.step(`The plugin list could not be read (${cause}): a restore will not be able to check plugins`);
  }
  return {
    nocobaseVersion: installedAppVersion(ctx.appDir) ?? '0.0.0',
    ...(plugins ? { plugins } : {}),
    underscored,
    ...(lowerCaseTableNames !== undefined ? { lowerCaseTableNames } : {}),
  };
}

async function sqlOf(ctx: StandaloneContext, tmpDir: string): Promise<SqlValue> {
  const dumper = getDumper(ctx.db.dialect);
  if (dumper.kind === 'tool') return sqlOfTool(ctx.db, (await checkTools(dumper, ctx.db, tmpDir)).tool, tmpDir);
  return sqlOfSqlite(ctx.db.storage as string, resolveSqlite3(path.join(ctx.appDir, 'package.json')));
}
