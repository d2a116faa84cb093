import fs from 'fs';
import type { Context } from '@nocobase/actions';
import { archiveEtag, contentRange, ifRangeAllows, parseRange } from './range';

/**
 * Answers a GET for an archive on this server: the whole file (200) or one byte range (206), streamed from disk
 * with start/end so memory never grows with the archive, with a strong ETag so `If-Range` restarts a download
 * whose file was replaced. Headers only; the caller has checked who may read it.
 */
export async function sendArchive(ctx: Context, file: string, taskId: string | number, fileName: string): Promise<void> {
  const stat = await fs.promises.stat(file);
  const size = stat.size;
  const etag = archiveEtag(taskId, size, stat.mtimeMs);
  ctx.withoutDataWrapping = true;
  ctx.attachment(fileName);
  ctx.set('Content-Type', 'application/octet-stream');
  ctx.set('Accept-Ranges', 'bytes');
  ctx.set('ETag', etag);
  ctx.set('Last-Modified', stat.mtime.toUTCString());
  // A backup holds the whole database: no shared cache may keep a copy.
  ctx.set('Cache-Control', 'private, no-store');
  const ifRange = ctx.get('If-Range') || undefined;
  const answer = ifRangeAllows(ifRange, etag, stat.mtime) ? parseRange(ctx.get('Range') || undefined, size) : { kind: 'full' as const };
  const range = contentRange(answer, size);
  if (range) ctx.set('Content-Range', range);
  if (answer.kind === 'unsatisfiable') {
    ctx.status = 416;
    ctx.body = '';
    return;
  }
  const { start, end } = answer.kind === 'partial' ? answer : { start: 0, end: size - 1 };
  ctx.status = answer.kind === 'partial' ? 206 : 200;
  ctx.set('Content-Length', String(Math.max(0, end - start + 1)));
  ctx.body = size === 0 ? '' : fs.createReadStream(file, { start, end });
}
