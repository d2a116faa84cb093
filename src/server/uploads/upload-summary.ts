import fs from 'fs';
import type { BackupsService } from '../service';
import { archiveSummary } from '../tasks/summary';
import { appPreflight } from '../tasks/preflight';

/**
 * The answer to a finished upload (one request or tus): its id, and its summary with the pre-flight report as if
 * restored with the safety backup (the dialog's default). Judged by what needs no password; an encrypted upload is
 * kept for the restore, which asks for it. An upload that is no archive of ours is removed.
 */
export async function summariseUpload(service: BackupsService, uploadId: string, file: string) {
  try {
    const summary = await archiveSummary(file, service.restoreTarget(), process.env.APP_KEY, (archive, stagingBytes) =>
      appPreflight(service, archive, { stagingBytes, safetyBackup: true }),
    );
    return { uploadId, summary };
  } catch (err) {
    await fs.promises.rm(file, { force: true });
    throw err;
  }
}
