import fs from 'fs';
import path from 'path';
import { NAMESPACE, TASKS } from '../../constants';
import { dbConfigFromEnv } from '../db-config';
import { getDumper } from '../dumpers';
import type { DbConfig } from '../dumpers/types';
import { createBackup, human } from '../engine/backup';
import { checkTools } from '../engine/tool-check';
import { requireProvenance } from '../archive/provenance';
import { readHeader } from '../archive';
import { describeReport, verifyBackup, type VerifyReport } from '../engine/verify';
import { BackupError } from '../errors';
import { captureTool } from '../process/run';
import { archiveName, backupPaths, ensureDirs, storageRoot } from '../paths';
import { gatewaySocket, nocobaseEnv, runUpgrade, serverRunning } from './app-process';
import type { MoveReport } from '../move/copy-plan';
import { nocobaseSteps } from '../move/nocobase-steps';
import { moveReportText } from './move-text';
import { formatList, listArchives, resolveArchive } from './archives';
import type { CliArgs } from './args';
import { installedAppVersion, loadAppEnv } from './env-file';
import { CliError, EXIT, messageOf, UsageError } from './exit-codes';
import { journalRows, writeCliJournal } from './journal-rows';
import { restoreOffline } from './offline-restore';
import { recoverInterrupted } from '../restore/recover';
import { passwordForNew, passwordToOpen } from './password';
import type { Output } from './output';
import { cliPreflight } from './preflight';
import type { SqlValue } from '../preflight/sql';
import type { StandaloneContext } from './standalone-context';
import { standaloneRequirements } from './standalone-requirements';
import type { RequirementsDraft } from '../preflight/types';

export type { StandaloneContext };

export function contextOf(
  args: CliArgs,
  processEnv: NodeJS.ProcessEnv,
  cwd: string,
  out: Output,
  log: StandaloneContext['log'],
): StandaloneContext {
  const appDir = path.resolve(cwd, args.appDir ?? '.');
  const env = loadAppEnv(appDir, processEnv);
  if (!fs.existsSync(path.join(appDir, '.env')) && !env.DB_DIALECT) {
    throw new UsageError(
      `No .env in ${appDir} and no DB_DIALECT set: run this in the NocoBase app folder, or pass --app-dir`,
    );
  }
  let db: DbConfig;
  try {
    db = dbConfigFromEnv(env, appDir);
  } catch (err) {
    throw new CliError((err as Error).message, EXIT.INVALID);
  }
  if (db.dialect === 'sqlite' && !db.storage)
    throw new CliError('DB_STORAGE is not set for the SQLite database', EXIT.INVALID);
  if (db.dialect !== 'sqlite' && !db.database) throw new CliError('DB_DATABASE is not set', EXIT.INVALID);
  const appName = env.APP_NAME || 'main';
  return { cwd, appDir, env, db, appName, paths: backupPaths(storageRoot(env, appDir), appName), out, log };
}

/** Our own task table keeps its schema but not its rows, as in the app's backups (it is runtime data). */
async function ownTables(ctx: StandaloneContext): Promise<string[]> {
  const prefix = ctx.db.tablePrefix ?? '';
  const candidates = [`${prefix}${TASKS}`, `${prefix}backups_manager_tasks`];
  const dumper = getDumper(ctx.db.dialect);
  // The SQLite snapshot skips names that do not exist; MySQL's second --no-data dump would fail on them.
  if (dumper.kind === 'file') return candidates;
  const tmpDir = path.join(ctx.paths.tmp, `cli-tables-${process.pid}-${Date.now()}`);
  await fs.promises.mkdir(tmpDir, { recursive: true, mode: 0o700 });
  try {
    const { tool } = await checkTools(dumper, ctx.db, tmpDir);
    const tables = dumper.parseTableList(await captureTool(dumper.listTablesSpec(ctx.db, tool, { tmpDir })));
    return candidates.filter((t) => tables.includes(t));
  } finally {
    await fs.promises.rm(tmpDir, { recursive: true, force: true });
  }
}

/**
 * The current app's requirements, recorded in the safety backup (a scratch folder of its own for the client tool).
 * Never what stops a restore: without them the safety backup is still made, as before (a restore of it then reports
 * that its plugins could not be checked).
 */
async function safetyRequirements(ctx: StandaloneContext): Promise<RequirementsDraft | undefined> {
  const tmpDir = path.join(ctx.paths.tmp, `cli-requirements-${process.pid}-${Date.now()}`);
  try {
    return await standaloneRequirements(ctx, tmpDir, { includePlugins: true });
  } catch {
    return undefined;
  } finally {
    await fs.promises.rm(tmpDir, { recursive: true, force: true });
  }
}

function pluginVersion(): string {
  return process.env.BM_PLUGIN_VERSION || '0.0.0';
}

export async function backupCommand(ctx: StandaloneContext, args: CliArgs): Promise<void> {
  await ensureDirs(ctx.paths);
  const archivesDir = args.out ? path.resolve(ctx.cwd, args.out) : ctx.paths.archives;
  await fs.promises.mkdir(archivesDir, { recursive: true, mode: 0o700 });
  const tmpDir = path.join(ctx.paths.tmp, `cli-backup-${process.pid}-${Date.now()}`);
  const password = args.encrypt ? await passwordForNew(ctx.env) : undefined;
  try {
    ctx.out.step(
      `Backing up the ${ctx.db.dialect} database${args.uploads ? ', uploads' : ''}${args.plugins ? ', plugins' : ''} and keys`,
    );
    const result = await createBackup({
      db: ctx.db,
      app: { name: ctx.appName, version: installedAppVersion(ctx.appDir) ?? '0.0.0' },
      plugin: { name: NAMESPACE, version: pluginVersion() },
      storage: ctx.paths.storage,
      archivesDir,
      tmpDir,
      fileName: archiveName(ctx.appName, new Date()),
      include: { uploads: args.uploads, plugins: args.plugins },
      excludeTableData: await ownTables(ctx),
      origin: 'cli',
      onProgress: (phase, percent) => ctx.out.progress(phase, percent),
      signal: ctx.signal,
      password,
      appKey: ctx.env.APP_KEY,
      requirements: await standaloneRequirements(ctx, tmpDir, { includePlugins: args.plugins }),
    });
    const tables = result.manifest.database.tables;
    ctx.out.result(
      {
        file: result.filePath,
        size: result.size,
        encrypted: !!password,
        parts: result.manifest.parts,
        tables: tables ? Object.keys(tables).length : null,
      },
      `Backup written: ${result.filePath} (${human(result.size)})`,
    );
  } finally {
    await fs.promises.rm(tmpDir, { recursive: true, force: true });
  }
}

export async function listCommand(ctx: StandaloneContext): Promise<void> {
  const items = await listArchives(ctx.paths.archives);
  const backups = items.map((a) => ({
    fileName: a.fileName,
    path: a.path,
    size: a.size,
    createdAt: a.createdAt,
    dialect: a.manifest?.database.dialect,
    appVersion: a.manifest?.app.version,
    origin: a.manifest?.origin,
    note: a.note ?? null,
    parts: a.manifest?.parts,
    tables: a.manifest?.database.tables ? Object.keys(a.manifest.database.tables).length : null,
    error: a.error,
  }));
  ctx.out.result({ folder: ctx.paths.archives, backups }, `${ctx.paths.archives}\n${formatList(items)}`);
}

export async function verifyCommand(ctx: StandaloneContext, args: CliArgs): Promise<void> {
  const file = resolveArchive(args.file as string, ctx.paths.archives, ctx.cwd);
  // Verify runs the archive's SQL in a scratch database: one made elsewhere needs --trust-foreign.
  if ((await requireProvenance(file, ctx.env.APP_KEY, args.trustForeign)) === 'elsewhere') {
    ctx.out.step('This backup was not made by this application (--trust-foreign given)');
  }
  await ensureDirs(ctx.paths);
  const tmpDir = path.join(ctx.paths.tmp, `cli-verify-${process.pid}-${Date.now()}`);
  try {
    ctx.out.step(
      `Verifying ${file}: checksums, then a restore into a scratch copy (the app's database is not touched)`,
    );
    const report = await verifyBackup(file, {
      db: ctx.db,
      tmpDir,
      password: await openPassword(ctx.env, file),
      signal: ctx.signal,
      onProgress: (step, percent) => ctx.out.progress(step, percent),
    });
    if (!report.ok) throw mismatchError(report);
    ctx.out.result({ file, report }, `OK: ${verifiedText(report)}`);
  } finally {
    await fs.promises.rm(tmpDir, { recursive: true, force: true });
  }
}

/** Asked only for an encrypted archive (its plain header says so). */
export async function openPassword(env: NodeJS.ProcessEnv, file: string): Promise<string | undefined> {
  return (await readHeader(file)).encrypted ? passwordToOpen(env) : undefined;
}

export function verifiedText(report: VerifyReport): string {
  const counts = report.counted
    ? `${report.tables} tables restored with their recorded row counts`
    : `the database restored (${report.tables} tables); this backup has no recorded row counts to compare`;
  return `${report.entries} files match their checksums; ${counts}.`;
}

export function mismatchError(report: VerifyReport): BackupError {
  return Object.assign(new BackupError('VERIFY_MISMATCH', { detail: describeReport(report) }, 422), { report });
}

/** What the app CLI knows better than the .env (see app-commands.ts). */
export interface RestoreHooks {
  confirm: (question: string) => Promise<boolean>;
  /** Task rows to keep (the app's current list); the standalone command cannot read them. */
  existingRows?: Record<string, unknown>[];
  appVersion?: string;
  /** Tables whose rows the safety backup leaves out; default: our task table. */
  safetyExclude?: string[];
  beforeDatabase?: () => Promise<void>;
  afterDatabase?: () => Promise<void>;
  /** The app CLI's connection for the pre-flight facts; the standalone command uses the database's client tool. */
  sql?: SqlValue;
  underscored?: boolean;
}

export async function restoreCommand(ctx: StandaloneContext, args: CliArgs, hooks: RestoreHooks): Promise<void> {
  const file = resolveArchive(args.file as string, ctx.paths.archives, ctx.cwd);
  if (!args.force && (await serverRunning(gatewaySocket(ctx.env, ctx.appDir, ctx.paths.storage)))) {
    throw new CliError(
      'The NocoBase server of this app is running: stop it first (or pass --force if it is not this app)',
      EXIT.INVALID,
    );
  }
  // A move's question names the backup's dialect; a plain restore asks before the file is even opened.
  const moveFrom = args.intoDialect ? (await readHeader(file)).database.dialect : null;
  const moving = moveFrom !== null && moveFrom !== ctx.db.dialect;
  if (!args.yes) {
    const what = moving
      ? `Moving ${path.basename(file)} (${moveFrom}) into this app's ${ctx.db.dialect} database replaces ALL its data and files ("${ctx.appName}")`
      : `Restoring replaces ALL data and files of the app "${ctx.appName}" (${ctx.db.dialect}) with ${path.basename(file)}`;
    const question = `${what}. Type "yes" to go on: `;
    if (!(await hooks.confirm(question)))
      throw new UsageError('Not confirmed: nothing was changed (pass --yes to confirm without a prompt)');
  }
  // Checked before anything is touched: the archive's SQL is what a restore runs (APP_KEY comes from the app's .env).
  if ((await requireProvenance(file, ctx.env.APP_KEY, args.trustForeign)) === 'elsewhere') {
    ctx.out.step('This backup was not made by this application (--trust-foreign given)');
  }
  await ensureDirs(ctx.paths);
  // The pre-flight report: a blocking check (or warnings without --accept-warnings) stops here, nothing touched.
  const preflight = await cliPreflight(ctx, file, {
    safetyBackup: args.safetyBackup,
    acceptWarnings: args.acceptWarnings,
    nocobaseVersion: hooks.appVersion ?? installedAppVersion(ctx.appDir),
    sql: hooks.sql,
    underscored: hooks.underscored,
    move: args.intoDialect,
  });
  const encrypted = (await readHeader(file)).encrypted;
  const password = encrypted ? await passwordToOpen(ctx.env) : undefined;
  const at = new Date();
  let moveReport: MoveReport | null = null;
  const appVersion = hooks.appVersion ?? installedAppVersion(ctx.appDir);
  if (!appVersion)
    ctx.out.step(`NocoBase was not found in ${ctx.appDir}/node_modules: the backup's version cannot be checked`);
  const restored = await restoreOffline({
    file,
    db: ctx.db,
    appName: ctx.appName,
    appVersion,
    password,
    paths: ctx.paths,
    safetyBackup: args.safetyBackup,
    safetyExclude: hooks.safetyExclude ?? (args.safetyBackup ? await ownTables(ctx) : []),
    safetyRequirements: args.safetyBackup ? await safetyRequirements(ctx) : undefined,
    pluginVersion: pluginVersion(),
    appKey: ctx.env.APP_KEY,
    say: (message) => ctx.out.step(message),
    onProgress: (phase, percent) => ctx.out.progress(phase, percent),
    beforeDatabase: hooks.beforeDatabase,
    move: moving
      ? {
          appDir: ctx.appDir,
          timezone: ctx.env.DB_TIMEZONE,
          nocobase: nocobaseSteps(ctx.appDir, process.env, pluginStorage(ctx), ctx.log),
          onReport: (report) => {
            moveReport = report;
            ctx.out.step(moveReportText(report));
          },
        }
      : undefined,
  });
  await hooks.afterDatabase?.();
  // Our task table is runtime data, empty in the restored database: the app gets its list back when it next starts.
  const archives = await listArchives(ctx.paths.archives);
  const restore = {
    file,
    manifest: restored.manifest,
    size: restored.size,
    encrypted,
    safety: restored.safetyFile,
    at,
  };
  await writeCliJournal(ctx.paths.journal, journalRows(hooks.existingRows ?? [], archives, restore), at);
  const upgraded = args.upgrade && preflight.upgrade;
  if (!preflight.upgrade) {
    ctx.out.step("NocoBase and every plugin are at the backup's versions: no `yarn nocobase upgrade` needed.");
  } else if (args.upgrade) {
    ctx.out.step('Running `yarn nocobase upgrade` (migrations for the installed NocoBase and plugins)');
    await runUpgrade(ctx.appDir, nocobaseEnv(), ctx.log).catch((err) => {
      throw new CliError(
        `The backup was restored, but \`yarn nocobase upgrade\` failed: ${messageOf(err)}. Fix the cause, run it in ${ctx.appDir} yourself, then start the app.`,
        EXIT.FAILED,
        { cause: err },
      );
    });
  } else {
    ctx.out.step('Upgrade skipped: run `yarn nocobase upgrade` in the app folder before starting the app.');
  }
  ctx.out.result(
    { file, createdAt: restored.manifest.createdAt, safetyBackup: restored.safetyFile ?? null, upgraded, preflight, ...(moveReport ? { move: moveReport } : {}) },
    `Restored ${path.basename(file)} (made ${restored.manifest.createdAt}).${restored.safetyFile ? ` Safety backup: ${restored.safetyFile}.` : ''} Start the app now (e.g. yarn start).`,
  );
}

/** Where NocoBase finds plugins added with `pm add`: PLUGIN_STORAGE_PATH, else the storage folder's plugins. */
function pluginStorage(ctx: StandaloneContext): string {
  const configured = ctx.env.PLUGIN_STORAGE_PATH;
  return configured ? path.resolve(ctx.appDir, configured) : path.join(ctx.paths.storage, 'plugins');
}

/** `nb-backups recover`: what the app does at start-up, by hand (the app is stopped, or started without NocoBase's CLI). */
export async function recoverCommand(ctx: StandaloneContext, args: CliArgs): Promise<void> {
  if (!args.force && (await serverRunning(gatewaySocket(ctx.env, ctx.appDir, ctx.paths.storage)))) {
    throw new CliError('The NocoBase server of this app is running: it recovers by itself at start-up', EXIT.INVALID);
  }
  const reports = await recoverInterrupted({
    storage: ctx.paths.storage,
    env: ctx.env,
    cwd: ctx.appDir,
    appVersion: installedAppVersion(ctx.appDir),
    say: (message) => ctx.out.step(message),
  });
  const failed = reports.filter((r) => r.action === 'failed');
  if (failed.length) throw new CliError(`Recovery failed: ${failed.map((f) => f.detail).join('; ')}`, EXIT.FAILED);
  const text = reports.length
    ? reports.map((r) => `${r.id}: ${r.action}`).join('\n')
    : 'No interrupted restore: nothing to do.';
  ctx.out.result({ recovered: reports }, text);
}
