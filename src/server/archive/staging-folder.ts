import fs from 'fs';
import fsp from 'fs/promises';
import path from 'path';
import { ArchiveError } from './errors';
import { FileMaker, MakeError } from './file-maker';
import { resolveInside, safeEntryPath } from './safe-path';

const NEW_FILE_FLAGS = fs.constants.O_WRONLY | fs.constants.O_CREAT | fs.constants.O_EXCL | (fs.constants.O_NOFOLLOW ?? 0);

function existsError(err: unknown, entryPath: string): unknown {
  const code = (err as NodeJS.ErrnoException)?.code;
  if (code === 'EEXIST' || code === 'ELOOP') {
    return new ArchiveError('ENTRY_UNSAFE', `Cannot extract "${entryPath}": it already exists in the staging folder`, {
      path: entryPath,
      reason: 'exists',
    });
  }
  return err;
}

/**
 * The folder an archive is extracted into (0700). Never written outside: entry paths are resolved inside it,
 * existing symlinks or files on the way are refused (ENTRY_UNSAFE), files are created exclusively with their final
 * mode. removeAll() takes away everything created, the folder too when it did not exist before.
 *
 * A folder that is new or empty when opened (a restore's staging folder always is) holds nothing but what the
 * extraction made, so removeAll() empties it whole and no list of made files is kept: the list was one absolute path
 * per file for the whole extraction (15.5 MB of heap at 200,000 files). Only a folder that already held something
 * keeps the list, so that removeAll() takes away nothing else.
 */
export class StagingFolder {
  private readonly createdFiles: string[] = [];
  private readonly createdDirs: string[] = [];
  /** Folders made or found, relative to the root ('' is the root): most files go into a folder already known. */
  private readonly knownDirs = new Set<string>(['']);
  private maker: FileMaker | null = null;

  private constructor(
    readonly root: string,
    private readonly rootExisted: boolean,
    /** Nothing was in the folder when it was opened: what it holds later is the extraction's. */
    private readonly wasEmpty: boolean,
  ) {}

  static async open(stagingDir: string): Promise<StagingFolder> {
    const rootExisted = await fsp
      .lstat(stagingDir)
      .then(() => true)
      .catch(() => false);
    await fsp.mkdir(stagingDir, { recursive: true, mode: 0o700 });
    const root = await fsp.realpath(stagingDir);
    if (!rootExisted) await fsp.chmod(root, 0o700);
    const wasEmpty = !rootExisted || (await fsp.readdir(root)).length === 0;
    return new StagingFolder(root, rootExisted, wasEmpty);
  }

  private made(file: string): void {
    if (!this.wasEmpty) this.createdFiles.push(file);
  }

  /**
   * Where entry `rel` is extracted to, when its folder is already made (most files of a restore), without a promise;
   * null when prepare() must make folders first.
   */
  readyTarget(rel: string): string | null {
    // resolveInside checks and canonicalises the name as prepare() does; a folder part not known (known ones are
    // canonical) goes to prepare().
    const last = rel.lastIndexOf('/');
    if (last >= 0 && !this.knownDirs.has(rel.slice(0, last))) return null;
    return resolveInside(this.root, rel);
  }

  /** Where entry `rel` is extracted to, with its parent folders created. */
  async prepare(rel: string): Promise<string> {
    const safe = safeEntryPath(rel);
    const target = resolveInside(this.root, safe);
    await this.ensureParents(safe);
    return target;
  }

  /** Creates `target` (`mode`, exclusively: never through a symlink or over a file) holding `data`. */
  writeFile(target: string, entryPath: string, data: Buffer, mode: number): void {
    let fd: number;
    try {
      fd = fs.openSync(target, NEW_FILE_FLAGS, 0o600);
    } catch (err) {
      throw existsError(err, entryPath);
    }
    try {
      fs.fchmodSync(fd, mode);
      let at = 0;
      while (at < data.length) at += fs.writeSync(fd, data, at, data.length - at);
    } catch (err) {
      fs.closeSync(fd);
      fs.rmSync(target, { force: true });
      throw err;
    }
    fs.closeSync(fd);
    this.made(target);
  }

  /**
   * Creates `target` as writeFile does, on a worker thread (file-maker.ts): the content is copied at once, the file
   * exists after `settle()`. For the many small files of a restore.
   */
  writeFileSoon(target: string, entryPath: string, data: Buffer, mode: number): Promise<void> | undefined {
    if (!FileMaker.fits(target, entryPath, data)) {
      this.writeFile(target, entryPath, data, mode);
      return undefined;
    }
    // A folder that was empty keeps no list of what it made (made() ignores it): the maker then decodes no path.
    this.maker = this.maker ?? new FileMaker(this.wasEmpty ? null : (made) => this.made(made));
    // A promise only when the maker must wait for a buffer (see FileMaker.add).
    return this.maker.add(target, entryPath, data, mode);
  }

  /** Every file handed to writeFileSoon exists (or the first failure is thrown, translated as writeFile's). */
  async settle(): Promise<void> {
    try {
      await this.maker?.settle();
    } catch (err) {
      throw err instanceof MakeError ? existsError(err, err.entryPath) : err;
    }
  }

  /** Creates `target` as writeFile does, for content written through the stream answered. */
  async openFile(target: string, entryPath: string, mode: number): Promise<fs.WriteStream> {
    let fh: fsp.FileHandle;
    try {
      fh = await fsp.open(target, NEW_FILE_FLAGS, 0o600);
    } catch (err) {
      throw existsError(err, entryPath);
    }
    this.made(target);
    await fh.chmod(mode);
    return fh.createWriteStream({ autoClose: true });
  }

  /** Stops the file maker's thread, if one was started, once every file it made is known. */
  async close(): Promise<void> {
    const maker = this.maker;
    this.maker = null;
    await maker?.close();
  }

  /** Removes what was created, best effort (an extraction failed). */
  async removeAll(): Promise<void> {
    await this.close();
    if (this.wasEmpty) {
      const gone = (p: string) => fsp.rm(p, { recursive: true, force: true }).catch(() => undefined);
      if (!this.rootExisted) await gone(this.root);
      else for (const name of await fsp.readdir(this.root).catch(() => [])) await gone(path.join(this.root, name));
      return;
    }
    for (const f of this.createdFiles.reverse()) await fsp.rm(f, { force: true }).catch(() => undefined);
    for (const d of this.createdDirs.reverse()) await fsp.rmdir(d).catch(() => undefined);
    if (!this.rootExisted) await fsp.rmdir(this.root).catch(() => undefined);
  }

  /** `rel` is canonical (safeEntryPath): its folders are its prefixes up to each '/'. */
  private async ensureParents(rel: string): Promise<void> {
    const last = rel.lastIndexOf('/');
    // The common case, checked without building a string per segment: the file's folder is already there.
    if (last < 0 || this.knownDirs.has(rel.slice(0, last))) return;
    for (let end = rel.indexOf('/'); end >= 0 && end <= last; end = rel.indexOf('/', end + 1)) {
      const sub = rel.slice(0, end);
      if (this.knownDirs.has(sub)) continue;
      const cur = path.join(this.root, sub);
      try {
        await fsp.mkdir(cur, { mode: 0o700 });
        await fsp.chmod(cur, 0o700);
        if (!this.wasEmpty) this.createdDirs.push(cur);
      } catch (err) {
        if ((err as NodeJS.ErrnoException)?.code !== 'EEXIST') throw err;
        const st = await fsp.lstat(cur);
        if (!st.isDirectory()) {
          throw new ArchiveError(
            'ENTRY_UNSAFE',
            `Cannot extract "${rel}": "${sub}" exists and is not a folder`,
            {
              path: rel,
              reason: 'blocked by existing item',
            },
          );
        }
      }
      this.knownDirs.add(sub);
    }
  }
}
