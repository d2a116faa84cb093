import { parseManifestJsonChunks } from '../archive/manifest-parse';
import fs from 'fs';
import path from 'path';
import { STORAGE_DIR } from '../../constants';
import type { Manifest } from '../archive/manifest-types';
import { openWithAppKey } from '../crypto/app-key-seal';
import { dbConfigFromEnv } from '../db-config';
import type { DbConfig, ToolPaths } from '../dumpers/types';
import { processStart, stopOrphans } from '../process/children';
import { dbStep, decideRecovery, type Recovery } from './plan';
import {
  isAlive,
  journalDir,
  MANIFEST_COPY,
  readJournals,
  removeJournal,
  saveJournal,
  saveOutcome,
  type RestoreJournal,
  type RestoreOutcome,
} from './journal';
import type { ExtraDb } from './runner';
import { dropAsides, swapRecords } from './storage-swap';
import { completeForward, rollBack, type DbResolver } from './undo';

export interface RecoverInput {
  /** The storage root (STORAGE_PATH). */
  storage: string;
  env: NodeJS.ProcessEnv;
  /** The app folder: relative paths (DB_STORAGE) start here. */
  cwd: string;
  tools?: ToolPaths;
  /** NocoBase's installed version: a completed restore of another version's backup gets NocoBase's upgrade. */
  appVersion?: string;
  say?: (message: string) => void;
}

export interface RecoveryReport {
  id: string;
  action: Recovery['action'] | 'failed';
  detail?: string;
}

export const pidsDir = (storage: string) => path.join(storage, STORAGE_DIR, '.pids');

/**
 * Start-up after a crash, before the app reads its database (NocoBase runs our staticImport first; `nb-backups
 * recover` does the same by hand): stops dump/restore tools a killed server left running, then rolls each
 * interrupted restore back from its safety backup or completes it from its staged copy, and leaves an outcome for
 * the task row. Safe to run at any time: a restore whose process still runs is left alone.
 */
export async function recoverInterrupted(input: RecoverInput): Promise<RecoveryReport[]> {
  const say = input.say ?? (() => undefined);
  const root = path.join(input.storage, STORAGE_DIR);
  const apps = (await fs.promises.readdir(root, { withFileTypes: true }).catch(() => [] as fs.Dirent[])).filter((d) => d.isDirectory() && !d.name.startsWith('.'));
  const reports: RecoveryReport[] = [];
  let orphansStopped = false;
  for (const appDir of apps) {
    const dir = journalDir(path.join(root, appDir.name));
    const journals = await readJournals(dir);
    if (!journals.length) continue;
    const lock = await takeLock(dir);
    if (!lock) continue;
    try {
      for (const j of await readJournals(dir)) {
        if (isAlive(j.owner)) continue;
        if (!orphansStopped) {
          for (const s of await stopOrphans(pidsDir(input.storage))) say(`Stopped ${s}, left running by the stopped server`);
          orphansStopped = true;
        }
        reports.push(await recoverOne(j, dir, input, say));
      }
    } finally {
      await lock();
    }
  }
  return reports;
}

async function recoverOne(j: RestoreJournal, dir: string, input: RecoverInput, say: (m: string) => void): Promise<RecoveryReport> {
  const manifest = await readStagedManifest(j.staging);
  const decision = decideRecovery({
    state: j.state,
    safety: j.safety && fs.existsSync(j.safety) ? j.safety : null,
    stagingPresent: !!manifest && stagedDumpsPresent(j, manifest),
    planned: j.planned,
    steps: j.steps,
    ownerAlive: false,
    move: j.move,
  });
  const tmpDir = `${j.staging}-recover-tools`;
  const outcome = (o: Omit<RestoreOutcome, 'taskId' | 'archive' | 'safety' | 'at'>) =>
    j.taskId ? saveOutcome(dir, { taskId: j.taskId, archive: path.basename(j.archive), safety: j.safety && path.basename(j.safety), at: new Date().toISOString(), ...o }) : Promise.resolve();
  const stepNow = lastStep(j);
  try {
    if (decision.action === 'discard') {
      // Ended: only the clean-up was left (what is still set aside was kept on purpose by the outcome).
      if (j.state === 'ended') await dropAsides(j.swaps);
      if (j.state !== 'ended') {
        say(`Restore ${j.id} was interrupted before it changed anything; nothing to undo`);
        await outcome({ status: 'failed', errorCode: 'RESTORE_INTERRUPTED_UNCHANGED', message: { key: 'RESTORE_INTERRUPTED_UNCHANGED', params: {} }, upgrade: false });
      }
    } else if (decision.action === 'rollback') {
      say(`Restore ${j.id} was interrupted during "${stepNow}": putting the application back from the safety backup ${j.safety}`);
      await rollBack(j, resolver(j, input), tmpDir, input.tools);
      await outcome({
        status: 'failed',
        errorCode: 'RESTORE_INTERRUPTED_ROLLED_BACK',
        message: { key: 'RESTORE_INTERRUPTED_ROLLED_BACK', params: { step: stepNow, safety: path.basename(String(j.safety)) } },
        upgrade: false,
      });
    } else if (decision.action === 'forward') {
      say(`Restore ${j.id} was interrupted during "${stepNow}" without a safety backup: completing it from the verified copy`);
      if (j.main && !j.swaps.length) j.swaps = swapRecords(j.storage, j.appName, manifest as Manifest, j.staging, j.id);
      await saveJournal(dir, j);
      await completeForward(j, manifest as Manifest, resolver(j, input), tmpDir, input.tools);
      await outcome({
        status: 'succeeded',
        errorCode: 'RESTORE_INTERRUPTED_COMPLETED',
        message: { key: 'RESTORE_INTERRUPTED_COMPLETED', params: { step: stepNow, archive: path.basename(j.archive) } },
        // Same NocoBase and plugin versions: the app's start is enough; otherwise migrate as a restore does.
        upgrade: j.main && (manifest as Manifest).app.version !== input.appVersion,
      });
    } else if (decision.action === 'commit') {
      say(`Restore ${j.id} had finished when the server stopped: kept; removing what it had set aside`);
      await dropAsides(j.swaps);
      await outcome({ status: 'succeeded', errorCode: 'RESTORE_INTERRUPTED_COMMITTED', message: { key: 'RESTORE_INTERRUPTED_COMMITTED', params: { archive: path.basename(j.archive) } }, upgrade: false });
    } else if (decision.action === 'manual') {
      say(`Restore ${j.id} was interrupted during "${stepNow}" with neither a safety backup nor its staged copy: restore a backup by hand`);
      await outcome({ status: 'failed', errorCode: 'RESTORE_INTERRUPTED_MANUAL', message: { key: 'RESTORE_INTERRUPTED_MANUAL', params: { step: stepNow } }, upgrade: false });
    }
    await fs.promises.rm(j.staging, { recursive: true, force: true });
    await removeJournal(dir, j.id);
    return { id: j.id, action: decision.action };
  } catch (err) {
    // The journal stays: the next start (or `nb-backups recover`) tries again.
    const detail = (err as Error)?.message || String(err);
    say(`Recovering restore ${j.id} failed: ${detail}. Run \`nb-backups recover\` in the app folder once the cause is fixed.`);
    await outcome({ status: 'failed', errorCode: 'RESTORE_RECOVERY_FAILED', message: { key: 'RESTORE_RECOVERY_FAILED', params: { step: stepNow, detail } }, upgrade: false }).catch(() => undefined);
    return { id: j.id, action: 'failed', detail };
  } finally {
    await fs.promises.rm(tmpDir, { recursive: true, force: true });
  }
}

/** The last step the journal shows begun (what the crash interrupted). */
function lastStep(j: RestoreJournal): string {
  const begun = j.planned.filter((s) => j.steps[s]);
  if (!begun.length) return j.safety ? 'safety backup' : 'validating';
  return begun[begun.length - 1];
}

function resolver(j: RestoreJournal, input: RecoverInput): DbResolver {
  const main = dbConfigFromEnv(input.env, input.cwd);
  let extras: ExtraDb[] = [];
  if (j.targetDbs && input.env.APP_KEY) {
    const opened = openWithAppKey(j.targetDbs, input.env.APP_KEY);
    if (opened) extras = JSON.parse(opened) as ExtraDb[];
  }
  return (step: string): DbConfig | null => (step === 'db:main' ? main : extras.find((t) => dbStep(t) === step)?.db ?? null);
}

async function readStagedManifest(staging: string): Promise<Manifest | null> {
  const file = path.join(staging, MANIFEST_COPY);
  try {
    // As the restore held it (packed, never the whole text): the copy of 500,000 entries is about 80 MB.
    const chunks = fs.createReadStream(file, { highWaterMark: 256 * 1024 });
    return (await parseManifestJsonChunks(chunks, () => fs.promises.readFile(file), { packEntries: true })) as Manifest;
  } catch {
    return null;
  }
}

function stagedDumpsPresent(j: RestoreJournal, manifest: Manifest): boolean {
  const dumps = [...(j.main ? [manifest.database.dump] : []), ...(manifest.apps || []).filter((a) => j.targets.some((t) => t.kind === 'app' && t.name === a.name)).map((a) => a.dump), ...(manifest.dataSources || []).filter((d) => j.targets.some((t) => t.kind === 'source' && t.name === d.key)).map((d) => d.dump)];
  return dumps.every((d) => fs.existsSync(path.join(j.staging, d)));
}

/**
 * One recovery at a time (several processes may start at once, e.g. pm2 and a `yarn nocobase` command): a second
 * one waits for the first (up to 30 minutes), so no app starts on a database being put back.
 */
async function takeLock(dir: string): Promise<(() => Promise<void>) | null> {
  const file = path.join(dir, '.recover.lock');
  const deadline = Date.now() + 30 * 60 * 1000;
  while (Date.now() < deadline) {
    try {
      const fh = await fs.promises.open(file, 'wx', 0o600);
      await fh.writeFile(JSON.stringify({ pid: process.pid, start: processStart(process.pid) }));
      await fh.close();
      return () => fs.promises.rm(file, { force: true });
    } catch {
      try {
        const held = JSON.parse(await fs.promises.readFile(file, 'utf8')) as { pid: number; start: string | null };
        if (isAlive(held)) {
          await new Promise((r) => setTimeout(r, 500));
          continue;
        }
      } catch {
        /* unreadable: stale */
      }
      await fs.promises.rm(file, { force: true });
    }
  }
  return null;
}
