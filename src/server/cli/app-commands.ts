import fs from 'fs';
import path from 'path';
import { Application } from '@nocobase/server';
import { CLI_NAMESPACE, NAMESPACE, TASKS } from '../../constants';
import { requireProvenance } from '../archive/provenance';
import { setChildRegistry } from '../process/children';
import { storageRoot } from '../paths';
import { pidsDir, recoverInterrupted } from '../restore/recover';
import { installedAppVersion } from './env-file';
import { verifyBackup } from '../engine/verify';
import { sqlOfApp } from '../preflight/sql';
import { getService, type BackupsService } from '../service';
import { readTaskRows } from '../tasks/journal';
import { runExclusive } from '../tasks/exclusive';
import { verifyNow } from '../tasks/verify-flow';
import { formatList, listArchives, resolveArchive, type ListedArchive } from './archives';
import type { CliArgs } from './args';
import { CliError, EXIT } from './exit-codes';
import { askOnTerminal, createOutput, type Output } from './output';
import { passwordForNew } from './password';
import {
  mismatchError,
  openPassword,
  restoreCommand,
  verifiedText,
  type StandaloneContext,
} from './standalone-commands';
import { findJson } from '../db/find-json';

/** Options as commander hands them over (`--no-x` gives x: false, `--skip-upgrade` gives skipUpgrade). */
interface Opts {
  json?: boolean;
  file?: string;
  id?: string;
  uploads?: boolean;
  plugins?: boolean;
  encrypt?: boolean;
  yes?: boolean;
  safetyBackup?: boolean;
  skipUpgrade?: boolean;
  force?: boolean;
  trustForeign?: boolean;
  acceptWarnings?: boolean;
}

type Run = (app: Application, opts: Opts, out: Output) => Promise<void>;

/**
 * `yarn nocobase backups-manager backup|restore|list|verify`: the same engine as the UI, with the app loaded
 * (preload) but not serving. Registered for every app through `staticImport` (see plugin.ts).
 */
export function registerAppCommands(app: Application): void {
  if (app.cli.hasCommand(CLI_NAMESPACE)) return;
  const root = app.command(CLI_NAMESPACE).description('Backups Manager: back up, restore, list and verify backups');
  root
    .command('backup')
    .preload()
    .option('--no-uploads', 'leave out storage/uploads')
    .option('--no-plugins', 'leave out storage/plugins')
    .option('--encrypt', 'encrypt (password from BACKUPS_MANAGER_PASSWORD or asked)')
    .option('--json', 'print one JSON result on stdout')
    .action(handler(app, backupRun));
  root.command('list').preload().option('--json', 'print one JSON result on stdout').action(handler(app, listRun));
  root
    .command('verify')
    .preload()
    .option('--file <file>', 'an archive: file name in the backup folder, or a path')
    .option('--id <id>', 'a backup task id from the list')
    .option('--trust-foreign', 'accept a backup not made by this application (its SQL is run)')
    .option('--json', 'print one JSON result on stdout')
    .action(handler(app, verifyRun));
  root
    .command('restore')
    .preload()
    .option('--file <file>', 'an archive: file name in the backup folder, or a path')
    .option('--id <id>', 'a backup task id from the list')
    .option('--yes', 'do not ask for confirmation')
    .option('--no-safety-backup', 'do not back up the current state first')
    .option('--skip-upgrade', 'do not run `nocobase upgrade` afterwards')
    .option('--force', 'go on although a server of this app seems to be running')
    .option('--trust-foreign', 'accept a backup not made by this application (its SQL is run)')
    .option('--accept-warnings', 'go on although the pre-flight report has warnings')
    .option('--json', 'print one JSON result on stdout')
    .action(handler(app, restoreRun));
}

let added = false;

/** For the plugin class: `static staticImport = staticImport`. NocoBase runs it once per process, before any app exists. */
export async function staticImport(): Promise<void> {
  if (added) return;
  added = true;
  Application.addCommand(registerAppCommands);
  await recoverAtStart();
}

/**
 * A restore a crash interrupted is rolled back (or completed) here, before the app reads its database: a
 * half-restored database could keep NocoBase from loading plugins at all. Never throws: the app starts either way,
 * and the task row (or the log) says what happened.
 */
async function recoverAtStart(): Promise<void> {
  const storage = storageRoot();
  setChildRegistry(pidsDir(storage));
  const say = (message: string) => process.stderr.write(`[${NAMESPACE}] ${message}\n`);
  try {
    await recoverInterrupted({ storage, env: process.env, cwd: process.cwd(), appVersion: installedAppVersion(process.cwd()), say });
  } catch (err) {
    say(`recovery at start-up failed: ${(err as Error)?.stack || err}`);
  }
}

/** Errors become a message and an exit code (docs/recovery.md), not a NocoBase stack trace. */
function handler(app: Application, run: Run) {
  return async (opts: Opts) => {
    const out = createOutput(!!opts.json);
    try {
      await run(app, opts, out);
    } catch (err) {
      process.exitCode = out.fail(err);
    }
  };
}

function serviceOf(app: Application): BackupsService {
  if (!app.db.hasCollection(TASKS))
    throw new CliError('The Backups Manager plugin is not enabled in this app', EXIT.INVALID);
  return getService(app);
}

const backupRun: Run = async (app, opts, out) => {
  const service = serviceOf(app);
  const include = { includeUploads: opts.uploads !== false, includePlugins: opts.plugins !== false };
  const password = opts.encrypt ? await passwordForNew(process.env) : undefined;
  const { done } = await runExclusive(
    service,
    'backup',
    async () => ({ task: await service.createTask('backup', 'cli', { options: include, encrypted: !!password }) }),
    ({ task }) => {
      out.step(`Backing up (task ${task.id})`);
      return service.runBackupTask(task, { origin: 'cli', ...include, password });
    },
  );
  const finished = await done;
  const file = path.join(service.paths.archives, String(finished.fileName));
  out.result({ task: finished, file }, `Backup written: ${file}`);
};

const listRun: Run = async (app, _opts, out) => {
  const service = serviceOf(app);
  const rows = await findJson<Record<string, unknown>>(service.repo, { filter: { kind: 'backup' } });
  const byName = new Map<string, Record<string, unknown>>(rows.map((r) => [String(r.fileName), r]));
  // A row's note wins over the manifest's: the admin may have edited it since the backup.
  const archives = (await listArchives(service.paths.archives)).map((a): ListedArchive => {
    const row = byName.get(a.fileName);
    if (!row) return a;
    const { note: _manifestNote, ...rest } = a;
    return typeof row.note === 'string' && row.note ? { ...rest, note: row.note } : rest;
  });
  const backups = archives.map((a) => {
    const row = byName.get(a.fileName);
    return {
      fileName: a.fileName,
      path: a.path,
      size: a.size,
      createdAt: a.createdAt,
      taskId: row?.id ?? null,
      verifiedAt: row?.verifiedAt ?? null,
      origin: a.manifest?.origin,
      note: a.note ?? null,
      pinned: row?.pinned === true || row?.pinned === 1,
      error: a.error,
    };
  });
  out.result({ folder: service.paths.archives, backups }, `${service.paths.archives}\n${formatList(archives)}`);
};

/** A listed backup is verified as a task (verifiedAt set, as in the UI); an archive outside the list directly. */
const verifyRun: Run = async (app, opts, out) => {
  const service = serviceOf(app);
  const taskId = opts.id ?? (opts.file ? await taskOfFile(service, opts.file) : undefined);
  if (taskId === undefined && !opts.file) throw new CliError('Pass --file <file> or --id <id>', EXIT.USAGE);
  out.step('Verifying: checksums, then a restore into a scratch copy (the app database is not touched)');
  if (taskId !== undefined) {
    const password = await openPassword(process.env, await service.archiveOf(await service.findTask(taskId)));
    const { task, report } = await verifyNow(service, { taskId, origin: 'cli', password, trustForeign: !!opts.trustForeign });
    if (!report?.ok) throw Object.assign(mismatchError(report as NonNullable<typeof report>), { task });
    out.result({ task, report }, `OK: ${verifiedText(report)}`);
    return;
  }
  const file = resolveArchive(opts.file as string, service.paths.archives);
  await requireProvenance(file, process.env.APP_KEY, !!opts.trustForeign);
  const tmpDir = path.join(service.paths.tmp, `cli-verify-${process.pid}`);
  try {
    const password = await openPassword(process.env, file);
    const onProgress = (step: string, percent: number) => out.progress(step, percent);
    const report = await verifyBackup(file, { db: service.dbConfig(), tmpDir, password, onProgress });
    if (!report.ok) throw mismatchError(report);
    out.result({ file, report }, `OK: ${verifiedText(report)}`);
  } finally {
    await fs.promises.rm(tmpDir, { recursive: true, force: true });
  }
};

async function taskOfFile(service: BackupsService, file: string): Promise<string | undefined> {
  const row = await service.repo.findOne({
    filter: { kind: 'backup', status: 'succeeded', fileName: path.basename(file) },
  });
  return row ? String(row.get('id')) : undefined;
}

const restoreRun: Run = async (app, opts, out) => {
  const service = serviceOf(app);
  const file = opts.id !== undefined ? await service.archiveOf(await service.findTask(opts.id)) : opts.file;
  if (!file) throw new CliError('Pass --file <file> or --id <id>', EXIT.USAGE);
  const db = service.dbConfig();
  const env = Object.fromEntries(Object.entries(process.env).filter((e): e is [string, string] => e[1] !== undefined));
  const ctx: StandaloneContext = {
    cwd: process.cwd(),
    appDir: process.cwd(),
    env,
    db,
    appName: app.name,
    paths: service.paths,
    out,
    log: process.stderr,
  };
  const args: CliArgs = {
    command: 'restore',
    file,
    json: !!opts.json,
    uploads: true,
    plugins: true,
    encrypt: false,
    yes: !!opts.yes,
    safetyBackup: opts.safetyBackup !== false,
    upgrade: !opts.skipUpgrade,
    force: !!opts.force,
    trustForeign: !!opts.trustForeign,
    acceptWarnings: !!opts.acceptWarnings,
    // A move needs NocoBase run on the new database by itself: the standalone command (nb-backups) does it.
    intoDialect: false,
  };
  // No task row of its own (its rows come back through the CLI journal, journal-rows.ts): the slot alone keeps others out.
  const run = async () =>
    restoreCommand(ctx, args, {
      confirm: askOnTerminal,
      existingRows: await readTaskRows(service.store),
      appVersion: service.appVersion(),
      safetyExclude: service.runtimeTables(),
      sql: sqlOfApp(app),
      underscored: !!app.db.options.underscored,
      // SQLite's file is replaced: close it first and open the new one after, as the UI's restore does.
      beforeDatabase: async () => {
        if (db.dialect === 'sqlite' && !app.db.closed()) await app.db.close();
      },
      afterDatabase: async () => {
        if (app.db.closed()) await app.db.reconnect();
      },
    });
  await (await runExclusive(service, 'restore', async () => ({}), run)).done;
};
