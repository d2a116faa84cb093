import crypto from 'crypto';
import fs from 'fs';
import path from 'path';
import { pipeline } from 'stream/promises';
import { Transform } from 'stream';
import type { IncomingMessage } from 'http';
import { ARCHIVE_EXT } from '../../constants';
import { BackupError } from '../errors';
import type { BackupPaths } from '../paths';

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
 * Streams the raw request body to disk (never into memory), within the size limit. An interrupted or rejected
 * upload leaves nothing behind.
 */
export async function receiveUpload(req: IncomingMessage, paths: BackupPaths, limit = uploadLimit()): Promise<{ uploadId: string; file: string }> {
  const declared = Number(req.headers['content-length']);
  const limitText = `${Math.round(limit / 1024 / 1024)} MB`;
  if (Number.isFinite(declared) && declared > limit) throw new BackupError('UPLOAD_TOO_LARGE', { limit: limitText }, 413);
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
    throw err;
  }
}
