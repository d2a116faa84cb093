import fs from 'fs';
import fsp from 'fs/promises';
import path from 'path';
import { safeEntryPath } from './safe-path';
import { sourceFailed } from './source-error';
import { errnoOf } from '../errno';

export type SkipReason = 'symlink' | 'not a regular file' | 'unsafe name' | 'vanished';

/** What walkFolder meets, in order: folders entered and left (with their mode), files to pack, items left out. */
export type WalkItem =
  | { kind: 'enter'; rel: string }
  | { kind: 'leave'; rel: string; mode: number }
  | { kind: 'file'; rel: string; abs: string; name: string }
  | { kind: 'skip'; rel: string; reason: SkipReason };

const byName = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/**
 * Every item under `absDir`, depth first in sorted name order, each file with its entry name `<base>/<rel>`.
 * Symlinks (files or folders) and special files are skipped, as are names that cannot be canonical safe entry paths
 * (e.g. with a backslash) and folders deleted while walking. The root folder failing is SOURCE_FAILED.
 */
export async function* walkFolder(absDir: string, base: string): AsyncGenerator<WalkItem> {
  yield* walk(path.resolve(absDir), '', base);
}

async function* walk(dir: string, rel: string, base: string): AsyncGenerator<WalkItem> {
  let dirents: fs.Dirent[];
  let mode: number;
  try {
    dirents = await fsp.readdir(dir, { withFileTypes: true });
    mode = (await fsp.stat(dir)).mode & 0o7777;
  } catch (err) {
    if (rel && errnoOf(err) === 'ENOENT') {
      yield { kind: 'skip', rel, reason: 'vanished' };
      return;
    }
    throw sourceFailed(rel ? `${base}/${rel}` : base, err);
  }
  yield { kind: 'enter', rel };
  dirents.sort((a, b) => byName(a.name, b.name));
  for (const d of dirents) {
    const childRel = rel ? `${rel}/${d.name}` : d.name;
    const abs = path.join(dir, d.name);
    if (d.isSymbolicLink()) yield { kind: 'skip', rel: childRel, reason: 'symlink' };
    else if (d.isDirectory()) yield* walk(abs, childRel, base);
    else if (!d.isFile()) yield { kind: 'skip', rel: childRel, reason: 'not a regular file' };
    else {
      const entryPath = `${base}/${childRel}`;
      let name: string | null;
      try {
        name = safeEntryPath(entryPath);
      } catch {
        name = null;
      }
      if (name === entryPath) yield { kind: 'file', rel: childRel, abs, name };
      else yield { kind: 'skip', rel: childRel, reason: 'unsafe name' };
    }
  }
  yield { kind: 'leave', rel, mode };
}
