import fs from 'fs';
import path from 'path';
import { pipeline } from 'stream/promises';
import { NAMESPACE } from '../../constants';
import { BackupError, CodedError } from '../errors';
import { archivePath } from '../paths';
import type { TaskRow, TaskStore } from '../tasks/store';
import { originOf } from '../tasks/rediscover';
import { archiveNameOfKey, remoteFolder, remoteKey } from './keys';
import type { S3Bucket } from './s3-bucket';
import { describeStorage, s3ConfigOf, type StorageChoice, type StorageRow } from './storage-kinds';
import { findJson } from '../db/find-json';

/** What a task row records of its off-site copy (never a credential). */
export interface RemoteCopy {
  storage: string;
  key: string;
  size: number;
  uploadedAt: string;
}

// NocoBase's file manager keeps the storages (and their credentials) in this collection.
const STORAGES = 'storages';

/**
 * Off-site copies in a storage of NocoBase's file manager. The storage's options (keys included) are read from the
 * file manager's table when needed and live only in the S3 client; nothing here returns or logs them.
 */
export class Offsite {
  constructor(private store: TaskStore) {}

  private get db() {
    return this.store.app.db;
  }

  /** The storages an admin can pick from, each said usable or not (and why). Empty without the file manager. */
  async storages(): Promise<StorageChoice[]> {
    if (!this.db.hasCollection(STORAGES)) return [];
    const rows = await findJson<StorageRow>(this.db.getRepository(STORAGES), { sort: ['id'] });
    return rows.map(describeStorage);
  }

  /** A usable storage by name, or a 400 that says what is wrong with it. */
  async storage(name: string): Promise<StorageRow> {
    const row = this.db.hasCollection(STORAGES) ? await this.db.getRepository(STORAGES).findOne({ filter: { name } }) : null;
    if (!row) throw new BackupError('OFFSITE_STORAGE_UNKNOWN', { name }, 400);
    const json = row.toJSON() as StorageRow;
    const choice = describeStorage(json);
    if (!choice.supported) throw new BackupError(choice.reason || 'OFFSITE_TYPE_UNSUPPORTED', { name, type: json.type }, 400);
    return json;
  }

  private async open(name: string): Promise<{ bucket: S3Bucket; folder: string; row: StorageRow }> {
    const row = await this.storage(name);
    // Loaded on first use: the S3 client is most of our bundle, and most apps never configure a storage.
    const { S3Bucket } = await import('./s3-bucket');
    return { bucket: new S3Bucket(s3ConfigOf(row)), folder: remoteFolder(row.path, this.store.app.name), row };
  }

  /** Uploads a finished archive; the copy is checked by its size before it counts. */
  async copy(storageName: string, file: string, onProgress?: (sent: number, total: number) => void): Promise<RemoteCopy> {
    const { bucket, row } = await this.open(storageName);
    try {
      const key = remoteKey(row.path, this.store.app.name, path.basename(file));
      const size = await bucket.upload(file, key, onProgress).catch((err) => {
        throw offsiteFailed(err);
      });
      return { storage: storageName, key, size, uploadedAt: new Date().toISOString() };
    } finally {
      bucket.destroy();
    }
  }

  /** Streams a task's remote copy (downloads of an archive that is no longer on this server). */
  async openRead(task: TaskRow): Promise<{ stream: NodeJS.ReadableStream; size: number; close: () => void }> {
    const remote = remoteOf(task);
    if (!remote) throw new BackupError('FILE_MISSING', {}, 410);
    const { bucket } = await this.open(remote.storage);
    try {
      const { stream, size } = await bucket.openRead(remote.key);
      stream.once('close', () => bucket.destroy());
      return { stream, size, close: () => bucket.destroy() };
    } catch (err) {
      bucket.destroy();
      throw offsiteFailed(err);
    }
  }

  /**
   * Brings a remote copy back into the archives folder (restore, verify and inspect read local files). Written to
   * .tmp first and renamed, so a broken transfer never leaves a half archive under the real name.
   */
  async fetch(task: TaskRow): Promise<string> {
    const remote = remoteOf(task);
    const target = archivePath(this.store.paths, String(task.fileName));
    if (!remote) throw new BackupError('FILE_MISSING', {}, 410);
    const partial = path.join(this.store.paths.tmp, `fetch-${task.id}-${Date.now()}.partial`);
    const { bucket } = await this.open(remote.storage);
    try {
      const { stream } = await bucket.openRead(remote.key);
      await pipeline(stream, fs.createWriteStream(partial, { mode: 0o600 }));
      const { size } = await fs.promises.stat(partial);
      if (size !== remote.size) throw new Error(`received ${size} bytes of ${remote.size}`);
      await fs.promises.rename(partial, target);
      this.store.app.log.info(`[${NAMESPACE}] fetched ${task.fileName} back from storage ${remote.storage}`);
      return target;
    } catch (err) {
      await fs.promises.rm(partial, { force: true });
      throw err instanceof CodedError ? err : offsiteFailed(err);
    } finally {
      bucket.destroy();
    }
  }

  async remove(task: TaskRow): Promise<void> {
    const remote = remoteOf(task);
    if (!remote) return;
    const { bucket } = await this.open(remote.storage);
    try {
      await bucket.remove(remote.key).catch((err) => {
        throw offsiteFailed(err);
      });
    } finally {
      bucket.destroy();
    }
  }

  /**
   * Lists the copies in a storage beside the local backups: archives only there get a row of their own (restorable:
   * fetched back on use); rows whose copy is gone from that storage lose it. Answers how many of each.
   */
  async sync(storageName: string): Promise<{ added: string[]; gone: string[] }> {
    const { bucket, folder } = await this.open(storageName);
    let objects;
    try {
      objects = await bucket.list(folder).catch((err) => {
        throw offsiteFailed(err);
      });
    } finally {
      bucket.destroy();
    }
    const listed = new Map<string, { key: string; size: number; lastModified?: Date }>();
    for (const o of objects) {
      const name = archiveNameOfKey(o.key, folder);
      if (name) listed.set(name, o);
    }
    const rows = await findJson<TaskRow>(this.store.repo, { filter: { kind: 'backup' } });
    const byName = new Map<string, TaskRow>(rows.filter((r) => r.fileName).map((r) => [String(r.fileName), r]));
    const added: string[] = [];
    for (const [name, o] of listed) {
      const row = byName.get(name);
      const remote: RemoteCopy = { storage: storageName, key: o.key, size: o.size, uploadedAt: (o.lastModified || new Date()).toISOString() };
      if (row) {
        if (!remoteOf(row) && row.status === 'succeeded') await this.store.update(row.id, { remote });
        continue;
      }
      const at = o.lastModified || new Date();
      await this.store.create('backup', originOf(undefined, name), {
        status: 'succeeded',
        phase: 'done',
        progress: 100,
        fileName: name,
        size: o.size,
        remote,
        createdAt: at,
        startedAt: at,
        finishedAt: at,
      });
      added.push(name);
    }
    const gone: string[] = [];
    for (const row of rows) {
      const remote = remoteOf(row);
      if (remote?.storage === storageName && !listed.has(String(row.fileName))) {
        await this.store.update(row.id, { remote: null });
        gone.push(String(row.fileName));
      }
    }
    return { added, gone };
  }
}

/** A task's off-site copy, from its JSON column (a string on some dialects). */
export function remoteOf(task: Record<string, unknown>): RemoteCopy | null {
  let v = task.remote;
  if (typeof v === 'string') {
    try {
      v = JSON.parse(v);
    } catch {
      return null;
    }
  }
  const r = v as Partial<RemoteCopy> | null | undefined;
  return r && typeof r.storage === 'string' && typeof r.key === 'string' ? (r as RemoteCopy) : null;
}

/** The service's answer, minus anything that might carry a signed URL or a header: its name and message. */
function offsiteFailed(err: unknown): BackupError {
  const e = err as { name?: string; message?: string; Code?: string };
  const detail = `${e?.Code || e?.name || 'Error'}: ${String(e?.message || err).slice(0, 300)}`;
  return new BackupError('OFFSITE_FAILED', { detail }, 502, { cause: err });
}
