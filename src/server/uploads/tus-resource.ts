import fs from 'fs';
import path from 'path';
import type { Context, Next } from '@nocobase/actions';
import type { Server } from '@tus/server';
import { NAMESPACE, UPLOADS } from '../../constants';
import { action } from '../actions/respond';
import { uploadPath } from '../actions/upload';
import { ensureDirs } from '../paths';
import { getService } from '../service';
import { createTusServer, tusOwner, tusRequests } from './tus-server';
import { sweepTusUploads } from './tus-sweep';
import { summariseUpload } from './upload-summary';
import { parseTusId } from './tus-rules';

/** One tus server per uploads folder (per app), created on its first request. */
const servers = new Map<string, Server>();
function tusFor(dir: string): Server {
  let server = servers.get(dir);
  if (!server) servers.set(dir, (server = createTusServer(dir)));
  return server;
}

const userIdOf = (ctx: Context) => String(ctx.state?.currentUser?.id ?? ctx.auth?.user?.id ?? '');

/**
 * The resumable upload, as a NocoBase resource so every request (POST create, HEAD offset, PATCH chunk, DELETE)
 * passes NocoBase's auth and our ACL snippet like any action of ours:
 *   POST   /api/backupsManagerUploads:tus          -> 201, Location /api/backupsManagerUploads:tus/tus-<hex>
 *   HEAD   /api/backupsManagerUploads:tus/tus-<hex> (PATCH, DELETE alike)
 *   POST   /api/backupsManagerUploads:summary      { uploadId }  -> { uploadId, summary } once the last chunk is in
 */
export const uploadsResource = {
  name: UPLOADS,
  // No collection behind it: none of NocoBase's default actions (list, get, update...) applies.
  only: ['tus', 'summary'],
  actions: {
    tus: async (ctx: Context, next: Next) => {
      const dir = getService(ctx.app).paths.uploads;
      const userId = userIdOf(ctx);
      // tus honours X-HTTP-Method-Override: judge the request by the method tus will act on.
      const method = String(ctx.get('X-HTTP-Method-Override') || ctx.method).toUpperCase();
      if (method === 'POST') {
        await ensureDirs(getService(ctx.app).paths);
        // Before each new upload, as well as at start and hourly: abandoned uploads never pile up.
        await sweepTusUploads(dir).catch((err) => ctx.app.log.warn(`[${NAMESPACE}] tus sweep`, { err }));
      } else {
        // Uploads belong to the admin who created them: to anyone else they do not exist.
        const id = parseTusId(path.posix.basename(ctx.path));
        const owner = id ? await tusOwner(dir, id) : null;
        if (owner !== null && owner !== userId) {
          ctx.status = 404;
          ctx.withoutDataWrapping = true;
          ctx.body = 'Not found\n';
          return;
        }
      }
      const base = ctx.originalUrl.split('?')[0].replace(/\/$/, '');
      tusRequests.set(ctx.req, { userId, base, t: (code, params) => ctx.t(code, { ns: NAMESPACE, ...params }) });
      // tus writes its own answer (status, Upload-Offset, Location): Koa must not write one after it.
      ctx.respond = false;
      // Koa starts every response as 404; tus' HEAD answer only sets headers and ends.
      ctx.res.statusCode = 200;
      await tusFor(dir).handle(ctx.req, ctx.res);
      if (method === 'PATCH') await touchState(dir, path.posix.basename(ctx.path));
      await next();
    },

    /** The same answer as backupsManagerTasks:upload, for an upload whose last chunk is in. */
    summary: action(async (ctx: Context, next: Next) => {
      const service = getService(ctx.app);
      const uploadId = ctx.action.params.values?.uploadId ?? ctx.action.params.uploadId;
      ctx.body = await summariseUpload(service, String(uploadId), uploadPath(service.paths, uploadId));
      await next();
    }),
  },
};

/** The state file follows the data's mtime, so the start-up cleanup of old uploads never splits a live pair. */
async function touchState(dir: string, name: string): Promise<void> {
  const id = parseTusId(name);
  if (!id) return;
  const now = new Date();
  await fs.promises.utimes(path.join(dir, `${id}.json`), now, now).catch(() => undefined);
}
