import fs from 'fs';
import { busy } from '../errors';
import { remoteOf } from '../offsite/offsite';
import { archivePath } from '../paths';
import type { BackupsService } from '../service';
import { findJson } from '../db/find-json';
import { rediscoverArchives, type Rediscovery } from './rediscover';

export interface RefreshAnswer extends Rediscovery {
  /**
   * Listed backups whose archive is neither here nor off-site (deleted by hand). Their rows stay, with their pins
   * and notes, so that a folder that is only unmounted for a moment never empties the list: Delete removes them.
   */
  missing: string[];
}

/** The page's Refresh: archives copied into the folder (scp, rclone) are listed now, not at the next start. */
export async function refreshArchives(service: BackupsService): Promise<RefreshAnswer> {
  // A backup being written, or a restore replacing the task table: look again once it is done.
  if (service.exclusive.running) throw busy();
  const seen = await rediscoverArchives(service.store);
  const rows = await findJson<{ fileName: string; remote: unknown }>(service.repo, {
    fields: ['fileName', 'remote'],
    filter: { kind: 'backup', status: 'succeeded', fileName: { $ne: null } },
  });
  const missing = rows
    .filter((r) => r.fileName && !remoteOf(r) && !fs.existsSync(archivePath(service.paths, r.fileName)))
    .map((r) => r.fileName);
  return { ...seen, missing };
}
