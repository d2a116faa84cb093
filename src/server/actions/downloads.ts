import crypto from 'crypto';
import fs from 'fs';
import type { Context, Next } from '@nocobase/actions';
import { SIGNED_DOWNLOAD, TASKS } from '../../constants';
import { BackupError } from '../errors';
import { remoteOf } from '../offsite/offsite';
import { getService } from '../service';
import type { TaskRow } from '../tasks/store';
import { checkLink, linkKey, newClaims, signLink, type LinkClaims } from '../download/link-token';
import { sendArchive } from '../download/send-archive';
import { takeLinkSignature } from '../download/hide-link-signature';
import { action } from './respond';

/**
 * The archive of a finished backup: from this server with range requests (resume with `curl -C -`), or else
 * passed through from its off-site copy (whole file only, never stored here).
 */
async function sendTask(ctx: Context, task: TaskRow): Promise<void> {
  const service = getService(ctx.app);
  const file = service.localArchiveOf(task);
  const fileName = String(task.fileName);
  if (fs.existsSync(file)) return sendArchive(ctx, file, task.id, fileName);
  if (!remoteOf(task)) throw new BackupError('FILE_MISSING', {}, 410);
  const remote = await service.offsite.openRead(task);
  ctx.withoutDataWrapping = true;
  ctx.attachment(fileName);
  ctx.set('Content-Type', 'application/octet-stream');
  ctx.set('Accept-Ranges', 'none');
  ctx.set('Content-Length', String(remote.size));
  ctx.body = remote.stream;
}

/** Admins only (the ACL snippet), with their token in the Authorization header. */
export const downloadAction = action(async (ctx: Context, next: Next) => {
  await sendTask(ctx, await getService(ctx.app).findTask(ctx.action.params.filterByTk));
  await next();
});

/**
 * Issues a link the browser opens by itself, so its download manager streams to disk (no Blob in the page). Only
 * admins reach this action: the ACL is checked now, and the link then grants this one file for LINK_TTL_SECONDS.
 */
export const downloadLinkAction = action(async (ctx: Context, next: Next) => {
  const task = await getService(ctx.app).findTask(ctx.action.params.filterByTk);
  getService(ctx.app).localArchiveOf(task); // a finished backup, or NOT_SUCCEEDED now rather than from the link
  const claims = newClaims(ctx.app.name, String(task.id), String(task.fileName));
  const query = new URLSearchParams({
    filterByTk: claims.taskId,
    expires: String(claims.expires),
    nonce: claims.nonce,
    sig: signLink(keyOf(), claims),
  });
  // Relative to the API's base URL (the client knows it, e.g. /api/ or a sub-application's).
  ctx.body = { url: `${TASKS}:${SIGNED_DOWNLOAD}?${query}`, expiresAt: new Date(claims.expires * 1000).toISOString() };
  await next();
});

/**
 * Public in NocoBase's ACL (no session needed): the signature is the only credential, and it names one task and
 * its file. Expired -> 401, anything forged, altered or for another file -> 403; the task's existence is not told.
 */
export const signedDownloadAction = action(async (ctx: Context, next: Next) => {
  const params = ctx.action.params;
  const signature = takeLinkSignature(ctx);
  const task = signature ? await getService(ctx.app).findTask(params.filterByTk).catch(() => null) : null;
  const claims: LinkClaims | null = task
    ? {
        app: ctx.app.name,
        taskId: String(task.id),
        fileName: String(task.fileName ?? ''),
        expires: Number(params.expires),
        nonce: String(params.nonce ?? ''),
      }
    : null;
  const verdict = claims && Number.isSafeInteger(claims.expires) ? checkLink(keyOf(), claims, String(signature)) : 'invalid';
  if (verdict === 'expired') throw new BackupError('DOWNLOAD_LINK_EXPIRED', {}, 401);
  if (verdict !== 'ok' || !task) throw new BackupError('DOWNLOAD_LINK_INVALID', {}, 403);
  await sendTask(ctx, task);
  await next();
});

// Without APP_KEY (never the case in a configured NocoBase) links work within this process only.
let fallbackKey: Buffer | undefined;
function keyOf(): Buffer {
  const appKey = process.env.APP_KEY;
  if (appKey) return linkKey(appKey);
  fallbackKey ??= crypto.randomBytes(32);
  return fallbackKey;
}
