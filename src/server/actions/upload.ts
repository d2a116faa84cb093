import crypto from 'crypto';
import fs from 'fs';
import path from 'path';
import { pipeline } from 'stream/promises';
import { Transform } from 'stream';
import type { IncomingMessage } from 'http';
import { ARCHIVE_EXT } from '../../constants';
import { ensureFreeSpace, formatSize, freeBytes } from '../archive/free-space';
import { ArchiveError } from '../archive/errors';
import { BackupError } from '../errors';
import type { BackupPaths } from '../paths';

/** Upload folders receiving a body right now: one upload at a time per app (each may be many GB). */
const receiving = new Set<string>();

/** Default 20 GiB; BACKUPS_MANAGER_UPLOAD_LIMIT (bytes) changes it. */
export function uploadLimit(env: NodeJS.ProcessEnv = process.env): number {
  const v = Number(env.BACKUPS_MANAGER_UPLOAD_LIMIT);
  return Number.isFinite(v) && v > 0 ? v : 20 * 1024 ** 3;
}

export function uploadPath(paths: BackupPaths, uploadId: unknown): string {
  if (typeof uploadId !== 'string' || !/^[a-f0-9]{32}$/.test(uploadId)) throw new BackupError('UPLOAD_NOT_FOUND', {}, 404);
  const file = path.join(paths.uploads, `${uploadId}${ARCHIVE_EXT}`);
  if (!fs.existsSync(file)) throw new BackupError('UPLOAD_NOT_FOUND', {}, 404);
  return file;
}

/**
 * Streams the raw request body to disk (never into memory), within the size limit and the free space (checked against
 * Content-Length before the body is read, and ENOSPC while writing: NOT_ENOUGH_SPACE, 507). One upload at a time:
 * a second one while a body is being received is refused with UPLOAD_BUSY (409). An interrupted or rejected upload
 * leaves nothing behind.
 */
export async function receiveUpload(req: IncomingMessage, paths: BackupPaths, limit = uploadLimit()): Promise<{ uploadId: string; file: string }> {
  const declared = Number(req.headers['content-length']);
  const limitText = `${Math.round(limit / 1024 / 1024)} MB`;
  if (Number.isFinite(declared) && declared > limit) throw new BackupError('UPLOAD_TOO_LARGE', { limit: limitText }, 413);
  if (receiving.has(paths.uploads)) throw new BackupError('UPLOAD_BUSY', {}, 409);
  receiving.add(paths.uploads);
  try {
    if (Number.isFinite(declared)) await ensureFreeSpace(paths.uploads, declared);
    return await receiveBody(req, paths, limit, limitText, declared);
  } finally {
    receiving.delete(paths.uploads);
  }
}

async function receiveBody(
  req: IncomingMessage,
  paths: BackupPaths,
  limit: number,
  limitText: string,
  declared: number,
): Promise<{ uploadId: string; file: string }> {
  const uploadId = crypto.randomBytes(16).toString('hex');
  const partial = path.join(paths.uploads, `${uploadId}.partial`);
  const file = path.join(paths.uploads, `${uploadId}${ARCHIVE_EXT}`);
  let received = 0;
  const counter = new Transform({
    transform(chunk: Buffer, _enc, cb) {
      received += chunk.length;
      if (received > limit) cb(new BackupError('UPLOAD_TOO_LARGE', { limit: limitText }, 413));
      else cb(null, chunk);
    },
  });
  try {
    await pipeline(req, counter, fs.createWriteStream(partial, { mode: 0o600 }));
    if (req.readableAborted || (Number.isFinite(declared) && received !== declared)) {
      throw new BackupError('NOT_AN_ARCHIVE', {}, 400);
    }
    if (received === 0) throw new BackupError('UPLOAD_EMPTY', {}, 400);
    await fs.promises.rename(partial, file);
    return { uploadId, file };
  } catch (err) {
    await fs.promises.rm(partial, { force: true });
    const code = (err as NodeJS.ErrnoException)?.code;
    if (code === 'ENOSPC' || code === 'EDQUOT') {
      // The disk filled up while writing (no Content-Length, or something else took the space meanwhile).
      const { free, where } = await freeBytes(paths.uploads);
      const needed = Number.isFinite(declared) ? declared : received;
      throw new ArchiveError(
        'NOT_ENOUGH_SPACE',
        `Disk full while receiving an upload (${formatSize(needed)} received or announced)`,
        { needed: formatSize(needed), free: formatSize(free), where },
        { cause: err },
      );
    }
    throw err;
  }
}

/**
 * Removes an uploaded archive once its restore was refused or has ended (an upload serves one restore). Only files
 * inside the uploads folder: a listed backup passed as `file` is never touched.
 */
export async function discardUpload(paths: BackupPaths, file: string | undefined): Promise<void> {
  if (!file || path.dirname(path.resolve(file)) !== path.resolve(paths.uploads)) return;
  await fs.promises.rm(file, { force: true }).catch(() => undefined);
}
