import crypto from 'crypto';
import fs from 'fs';
import path from 'path';
import type { IncomingMessage } from 'http';
import { MemoryLocker, Server, type ServerOptions } from '@tus/server';
import { FileStore } from '@tus/file-store';
import type { Upload } from '@tus/utils';
import { ARCHIVE_EXT } from '../../constants';
import { ensureFreeSpace } from '../archive/free-space';
import { uploadLimit } from '../actions/upload';
import { checkNewUpload, parseTusId, TUS_PREFIX, uploadIdOf } from './tus-rules';

/** What the tus hooks need from the NocoBase request that carries them (set by tus-resource.ts). */
export interface TusRequestInfo {
  userId: string;
  /** The path the client posted to (`/api/backupsManagerUploads:tus`): upload URLs are made from it. */
  base: string;
  /** The request's language: our refusals are read by the admin. */
  t: (code: string, params?: Record<string, unknown>) => string;
}
export const tusRequests = new WeakMap<IncomingMessage, TusRequestInfo>();

/** tus' own store, but every file 0600 like the one-request upload's (the folder is 0700). */
class PrivateFileStore extends FileStore {
  async create(file: Upload): Promise<Upload> {
    const created = await super.create(file);
    await fs.promises.chmod(path.join(this.directory, file.id), 0o600);
    await fs.promises.chmod(path.join(this.directory, `${file.id}.json`), 0o600);
    return created;
  }
}

const refuse = (req: IncomingMessage, code: string, status: number, params: Record<string, unknown> = {}) => {
  const info = tusRequests.get(req);
  return { status_code: status, body: info ? info.t(code, params) : code };
};

/**
 * A tus server writing into the uploads folder: chunks append to `tus-<hex>`, its state in `tus-<hex>.json`; the
 * last chunk renames the data to `<hex>.nbbm`, which is what the one-request upload leaves (the restore action
 * takes `<hex>` as its uploadId). Upload URLs are the create URL's path plus the id (`/api/backupsManagerUploads:tus/<id>`).
 */
export function createTusServer(dir: string, limit = uploadLimit()): Server {
  const options: ServerOptions & { datastore: FileStore } = {
    path: '/',
    datastore: new PrivateFileStore({ directory: dir }),
    maxSize: limit,
    // Locks live in this process: one NocoBase process serves an upload (docs/limitations.md).
    locker: new MemoryLocker(),
    namingFunction: () => `${TUS_PREFIX}${crypto.randomBytes(16).toString('hex')}`,
    // A path without the host: behind a proxy the browser keeps talking to the proxy's host.
    generateUrl: (req, { id }) => `${tusRequests.get(req)?.base ?? ''}/${id}`,
    getFileIdFromRequest: (_req, last) => parseTusId(last) ?? undefined,
    onUploadCreate: async (req, res, upload) => {
      const refusal = checkNewUpload({ fileName: upload.metadata?.filename, size: upload.size }, limit);
      if (refusal) throw refuse(req, refusal.code, refusal.status, { limit: `${Math.round(limit / 1024 / 1024)} MB` });
      try {
        await ensureFreeSpace(dir, upload.size as number);
      } catch (err) {
        const e = err as { code?: string; params?: Record<string, unknown> };
        throw refuse(req, e.code || 'NOT_ENOUGH_SPACE', 507, e.params);
      }
      // The creator owns the upload: another admin cannot append to it or read its offset (tus-resource.ts).
      return { res, metadata: { ...upload.metadata, owner: tusRequests.get(req)?.userId ?? '' } };
    },
    onUploadFinish: async (_req, res, upload) => {
      await fs.promises.rename(path.join(dir, upload.id), path.join(dir, `${uploadIdOf(upload.id)}${ARCHIVE_EXT}`));
      await fs.promises.rm(path.join(dir, `${upload.id}.json`), { force: true });
      return { res };
    },
  };
  return new Server(options);
}

/** The owner recorded at creation, or null when the upload does not exist (finished, expired, removed). */
export async function tusOwner(dir: string, id: string): Promise<string | null> {
  const text = await fs.promises.readFile(path.join(dir, `${id}.json`), 'utf8').catch(() => null);
  if (text === null) return null;
  try {
    const owner = (JSON.parse(text) as { metadata?: { owner?: unknown } }).metadata?.owner;
    return typeof owner === 'string' ? owner : null;
  } catch {
    return null;
  }
}
