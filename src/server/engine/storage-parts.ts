import fs from 'fs';
import path from 'path';
import { APP_KEY_ENTRY, ENV_KEY_ENTRY, PLUGINS_ENTRY, UPLOADS_ENTRY } from '../archive/layout';
import { inWorker } from '../worker-call';

/**
 * The parts of the storage folder a backup can carry, and where each lives inside the archive.
 * Keys are the app's encryption keys: without them a restored app cannot decrypt its encrypted values.
 */
export interface StoragePart {
  name: 'uploads' | 'plugins' | 'keys';
  /** Folder or file, absolute. */
  source: string;
  /** Prefix (folder) or path (file) inside the archive. */
  entry: string;
  kind: 'dir' | 'file';
}

export function storageParts(storage: string, appName: string): StoragePart[] {
  return [
    { name: 'uploads', source: path.join(storage, 'uploads'), entry: UPLOADS_ENTRY, kind: 'dir' },
    { name: 'plugins', source: path.join(storage, 'plugins'), entry: PLUGINS_ENTRY, kind: 'dir' },
    {
      name: 'keys',
      source: path.join(storage, 'apps', appName, 'aes_key.dat'),
      entry: APP_KEY_ENTRY,
      kind: 'file',
    },
    {
      name: 'keys',
      source: path.join(storage, 'environment-variables', appName, 'aes_key.dat'),
      entry: ENV_KEY_ENTRY,
      kind: 'file',
    },
  ];
}

/**
 * Bytes under a folder (regular files only, symlinks skipped), for the disk-space check and progress. Walked on a
 * worker thread: a stat per file on the main thread held the server for seconds before a backup of 500,000 uploads
 * (58 s with asynchronous stats, docs/benchmarks.md "many files").
 */
export function folderSize(dir: string): Promise<number> {
  return inWorker(folderSizeSync, dir);
}

/** Runs on the worker (worker-call.ts): nothing but its argument and `require`. */
function folderSizeSync(dir: string): number {
  // eslint-disable-next-line @typescript-eslint/no-var-requires
  const fs = require('fs') as typeof import('fs');
  // eslint-disable-next-line @typescript-eslint/no-var-requires
  const path = require('path') as typeof import('path');
  let total = 0;
  const pending = [dir];
  while (pending.length) {
    const current = pending.pop()!;
    let entries: import('fs').Dirent[];
    try {
      entries = fs.readdirSync(current, { withFileTypes: true });
    } catch {
      continue;
    }
    for (const e of entries) {
      const p = path.join(current, e.name);
      if (e.isDirectory()) pending.push(p);
      else if (e.isFile()) {
        try {
          total += fs.statSync(p).size;
        } catch {
          /* deleted meanwhile */
        }
      }
    }
  }
  return total;
}

export async function freeBytes(dir: string): Promise<number> {
  const s = await fs.promises.statfs(dir);
  return s.bavail * s.bsize;
}
