import fs from 'fs';
import fsp from 'fs/promises';
import path from 'path';
import type { Readable } from 'stream';
import { CipherTuning, createCipherParams } from '../crypto';
import { EntryWriter, type Sealer, type WrittenEntry } from './entry-writer';
import { ArchiveError } from './errors';
import { loadFileSync, type LoadedFile } from './file-loader';
import { packFolder, type AddDirectoryOptions, type Digest, type FolderPackTarget, type PackedFolder } from './folder-pack';
import { exists, fsyncFile, moveInto } from './fs-ops';
import { RESERVED_NAMES } from './layout';
import { MAX_SKIPPED_LISTED } from './manifest';
import { completeManifestHead, type ManifestDraft } from './manifest-draft';
import type { FolderMode, ManifestEntry, ManifestHead, SkippedFile } from './manifest-types';
import { safeEntryPath } from './safe-path';
import { writeMetadata } from './metadata-entries';
import { sourceFailed } from './source-error';
import { Spill } from './spill';
import { WriteBehind, type SyncFn } from './write-behind';
import { DIRECT, ZipOut } from './zip-out';

export type { AddDirectoryOptions, PackedFolder, SkipReason } from './folder-pack';
export type { ManifestDraft } from './manifest-draft';

export interface ArchiveWriterOptions {
  /** Where the `<basename>.partial` file is written; created 0700 if missing. Same filesystem as finalPath for an atomic rename. */
  tmpDir: string;
  /**
   * Encrypts the archive (every entry and the manifest; see docs/format.md). Undefined or empty: a plain archive.
   * Deriving the key takes about a quarter of a second, once, in create().
   */
  password?: string;
  /** Tests and benchmarks only: cheaper key derivation or other chunk sizes. */
  cipherTuning?: CipherTuning;
  /** Signs the manifest (manifest.sig, see provenance.ts): signingKey(APP_KEY). Null or undefined: unsigned. */
  signingKey?: Buffer | null;
  /** Tests only: another step or sync function for the write-behind (write-behind.ts). */
  writeBehind?: { step?: number; sync?: SyncFn };
}

export interface FinishResult {
  path: string;
  /** Size of the archive file in bytes. */
  size: number;
  /** The manifest but its entries (streamed into the archive, never all in memory), with their count and bytes. */
  manifest: ManifestHead;
  encrypted: boolean;
}

type State = 'open' | 'finishing' | 'finished' | 'aborted' | 'failed';

const READ_CHUNK = 256 * 1024;
/**
 * Read buffer for a file of `size` bytes: every read allocates a buffer of the full chunk size, so tens of thousands
 * of small files each read into 256 KiB made the server's RSS climb by hundreds of MB between garbage collections.
 */
const readChunk = (size: number) => Math.min(READ_CHUNK, Math.max(4096, size));
/** Files up to this size are read whole in one call and written as one entry with a known size and CRC. */
const INLINE_MAX = 256 * 1024;
/** Read buffer reused for every small file: below ZipOut's direct-write size, so their bytes are always copied. */
const SCRATCH = Math.min(INLINE_MAX, DIRECT - 1);
/** Output stream buffer: a staged megabyte can be handed over while the previous one is being written. */
const OUT_BUFFER = 4 * 1024 * 1024;

/**
 * Streams entries into one ZIP (every entry STORED, zip64 where sizes or offsets need it; see zip-out.ts) and appends
 * manifest.json last, listing every entry with its size and SHA-256. With a password every entry is encrypted under an
 * opaque name (e/000001...), and the manifest is stored encrypted (manifest.json.enc) followed by encryption.json.
 * Entries are written strictly one at a time (calls are queued), content is never buffered whole beyond a small
 * file, and nothing but content is kept in the ZIP (fixed mode 0600, one timestamp for all entries; real modes are in
 * the manifest). Nothing is kept in memory per entry either: the manifest's entries and the ZIP's central records wait
 * in scratch files (spill.ts) until finish(), so memory stays flat whatever the file count.
 *
 * A name refused up front (ENTRY_UNSAFE, ENTRY_DUPLICATE) or a file that cannot be opened leaves the writer usable.
 * Once an entry has started, any failure (source stream error, disk error) leaves half an entry in the ZIP: the
 * writer then refuses everything with that error and the caller must abort(). A failed finish() aborts by itself.
 */
export class ArchiveWriter {
  readonly finalPath: string;
  readonly partialPath: string;
  /**
   * Items addDirectory left out (also reported through onSkip), as archive paths: the first MAX_SKIPPED_LISTED, and
   * skippedCount in all. finish() records both in the manifest.
   */
  readonly skipped: SkippedFile[] = [];
  skippedCount = 0;
  /** Modes of the folders addDirectory packed files from (restored with them); finish() records them. */
  readonly folders: FolderMode[] = [];

  private readonly zip: ZipOut;
  private readonly out: fs.WriteStream;
  /**
   * Small files are read into this buffer. Safe to reuse for the next file because ZipOut copies pieces smaller than
   * its direct-write size (DIRECT, 512 KiB) before the call returns, and one file is handled at a time.
   */
  private readonly scratch = Buffer.allocUnsafe(SCRATCH);
  /** Every entry's manifest JSON, comma-separated, in archive order (metadata-entries.ts streams it into the manifest). */
  private readonly entriesJson: Spill;
  private entryCount = 0;
  private entryBytes = 0;
  /**
   * Entries added one by one (dumps, single files): each name is checked against these. A folder's files are not
   * kept: their names are unique within the walk, and the folder's prefix may not overlap another entry (claimFolder).
   */
  private readonly listed = new Set<string>();
  private readonly folderPrefixes: string[] = [];
  /** A folder is being packed (addDirectory): the entries recorded are its files, not listed. */
  private packing = false;
  private queue: Promise<unknown> = Promise.resolve();
  private state: State = 'open';
  private failure: Error | null = null;
  private outClosed: Promise<void>;
  private readonly entryWriter: EntryWriter;
  private signingKey: Buffer | null = null;
  /** Puts what is written on disk as the archive grows, so that finish's fsync has little left to wait for. */
  private readonly behind: WriteBehind;

  private constructor(
    finalPath: string,
    partialPath: string,
    out: fs.WriteStream,
    sealer: Sealer | null,
    writeBehind: ArchiveWriterOptions['writeBehind'] = {},
  ) {
    this.finalPath = finalPath;
    this.partialPath = partialPath;
    this.out = out;
    this.outClosed = new Promise((resolve) => out.once('close', () => resolve()));
    const scratchDir = path.dirname(partialPath);
    this.behind = new WriteBehind((out as unknown as { fd: number }).fd, writeBehind.step, writeBehind.sync);
    this.zip = new ZipOut(out, new Date(), scratchDir, () => this.behind.written(out.bytesWritten));
    this.entriesJson = new Spill(scratchDir);
    this.entryWriter = new EntryWriter(this.zip, sealer);
    this.out.on('error', (err: Error) => this.fatal(err));
  }

  /** Creates `<tmpDir>/<basename(finalPath)>.partial` (0600; folders 0700). Refuses ARCHIVE_EXISTS when finalPath exists. */
  static async create(finalPath: string, opts: ArchiveWriterOptions): Promise<ArchiveWriter> {
    const target = path.resolve(finalPath);
    const tmpDir = path.resolve(opts.tmpDir);
    await fsp.mkdir(tmpDir, { recursive: true, mode: 0o700 });
    await fsp.mkdir(path.dirname(target), { recursive: true, mode: 0o700 });
    if (await exists(target)) {
      throw new ArchiveError('ARCHIVE_EXISTS', `Archive ${path.basename(target)} already exists`, {
        name: path.basename(target),
      });
    }
    // Before the partial file exists, so that nothing needs cleaning up if derivation fails.
    const sealer = opts.password ? await createCipherParams(opts.password, opts.cipherTuning) : null;
    const partial = path.join(tmpDir, path.basename(target) + '.partial');
    const out = fs.createWriteStream(partial, { flags: 'w', mode: 0o600, highWaterMark: OUT_BUFFER });
    await new Promise<void>((resolve, reject) => {
      out.once('open', () => resolve());
      out.once('error', reject);
    });
    await fsp.chmod(partial, 0o600); // a stale partial file may have had other permissions
    const writer = new ArchiveWriter(target, partial, out, sealer, opts.writeBehind);
    writer.signingKey = opts.signingKey ?? null;
    return writer;
  }

  /** True when the archive is being encrypted. */
  get encrypted(): boolean {
    return this.entryWriter.sealer !== null;
  }

  /** Bytes written to the archive file so far (headers included). */
  get bytesWritten(): number {
    return this.zip.pointer;
  }

  /** Streams `readable` into entry `entryPath`. The writer does not destroy a caller's stream on abort. */
  addStream(entryPath: string, readable: Readable): Promise<ManifestEntry> {
    return this.enqueue(() => this.streamEntry(this.checkName(entryPath), readable));
  }

  addBuffer(entryPath: string, data: Buffer | string): Promise<ManifestEntry> {
    return this.enqueue(() => this.knownEntry(this.checkName(entryPath), Buffer.from(data)));
  }

  /** Adds one regular file (a symlink is refused: opened with O_NOFOLLOW). */
  addFile(entryPath: string, absPath: string): Promise<ManifestEntry> {
    return this.enqueue(async () => {
      const name = this.checkName(entryPath);
      let loaded: LoadedFile;
      try {
        loaded = loadFileSync(absPath, INLINE_MAX);
      } catch (err) {
        throw sourceFailed(name, err);
      }
      return this.loadedEntry(name, loaded);
    });
  }

  /**
   * Adds every regular file under absDir as `<prefix>/<relative path>`, depth first in sorted name order.
   * Symlinks (files or folders) and special files are skipped; so are names that cannot be safe entry paths
   * (e.g. containing a backslash) and files deleted while walking. Folders are not entries; each file's mode and the
   * modes of the folders holding files go into the manifest (entry `mode`, `folders`), for the restore.
   * Files are read with synchronous calls in time slices (time-slice.ts) (small ones whole, in one read): asynchronous calls
   * cost the main thread five times more per file than the system calls themselves (file-loader.ts).
   */
  addDirectory(prefix: string, absDir: string, opts: AddDirectoryOptions = {}): Promise<PackedFolder> {
    const target: FolderPackTarget = {
      checkName: (name) => this.checkName(name, true, true),
      addLoaded: (name, loaded, onProgress) => this.loadedEntry(name, loaded, onProgress),
      // Plain archives take a small hashed file in one synchronous step (digestedNow); encrypted ones seal it first.
      addDigested: (name, batch, at, len, digest, mode) =>
        this.entryWriter.sealer
          ? this.knownEntry(name, batch.subarray(at, at + len), mode, digest)
          : this.digestedNow(name, batch, at, len, digest, mode),
      pressure: () => this.zip.pressure,
      skipped: (item) => {
        if (++this.skippedCount <= MAX_SKIPPED_LISTED) this.skipped.push(item);
      },
      folder: (mode) => this.folders.push(mode),
      scratch: this.scratch,
      inlineMax: INLINE_MAX,
    };
    return this.enqueue(async () => {
      // Entries are added one at a time: until the walk ends, every one recorded is a file of this folder.
      this.packing = true;
      try {
        return await packFolder(this.claimFolder(prefix), absDir, target, opts);
      } finally {
        this.packing = false;
      }
    });
  }

  /**
   * Appends manifest.json (the draft plus every entry), or, encrypted, manifest.json.enc and then encryption.json;
   * finalises the ZIP, fsyncs, renames the partial file to finalPath and makes it 0600. Then the writer is closed.
   */
  finish(draft: ManifestDraft): Promise<FinishResult> {
    return this.enqueue(async () => {
      const head = completeManifestHead(draft, {
        listed: this.listed,
        folders: this.folders,
        skipped: this.skipped,
        skippedCount: this.skippedCount,
      });
      await this.guarded(() => writeMetadata(this.zip, head, this.entriesJson, this.entryWriter.sealer, this.signingKey));
      this.entriesJson.close();

      this.state = 'finishing';
      // Before the output is ended and its descriptor closed; a sync that failed fails the archive.
      await this.guarded(() => this.behind.stop());
      await this.guarded(() => this.zip.finish());
      await this.outClosed;
      if (this.failure) throw this.failure;

      await fsyncFile(this.partialPath);
      await fsp.chmod(this.partialPath, 0o600);
      if (await exists(this.finalPath)) {
        throw new ArchiveError('ARCHIVE_EXISTS', `Archive ${path.basename(this.finalPath)} already exists`, {
          name: path.basename(this.finalPath),
        });
      }
      await moveInto(this.partialPath, this.finalPath);
      const { size } = await fsp.stat(this.finalPath);
      this.state = 'finished';
      const manifest: ManifestHead = { ...head, entryCount: this.entryCount, entryBytes: this.entryBytes };
      return { path: this.finalPath, size, manifest, encrypted: this.encrypted };
    }).catch(async (err) => {
      if (this.state !== 'finished') await this.abort();
      throw err;
    });
  }

  /** Stops writing and removes the partial file. Safe to call at any time, more than once; no-op after finish. */
  async abort(): Promise<void> {
    if (this.state === 'finished') return;
    if (this.state !== 'aborted') {
      this.state = 'aborted';
      const err = new ArchiveError('WRITER_CLOSED', 'Archive writer aborted', { reason: 'aborted' });
      this.failure = this.failure ?? err;
      this.zip.fail(err);
      this.entryWriter.cancel(err);
      this.entriesJson.close();
      await this.behind.stop().catch(() => undefined); // its error no longer matters; its descriptor must stay open
      this.out.destroy();
    }
    await this.outClosed;
    await fsp.rm(this.partialPath, { force: true });
  }

  // ---------------------------------------------------------------------------------------------------------

  private enqueue<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.queue.then(() => {
      if (this.state !== 'open') {
        throw (
          this.failure ?? new ArchiveError('WRITER_CLOSED', `Archive writer is ${this.state}`, { reason: this.state })
        );
      }
      return fn();
    });
    this.queue = run.catch(() => undefined);
    return run;
  }

  private fatal(err: Error): void {
    if (this.state === 'aborted' || this.state === 'finished') return;
    if (!this.failure) this.failure = err;
    if (this.state === 'open') this.state = 'failed';
    this.zip.fail(err);
    this.entryWriter.cancel(err);
  }

  /** Runs ZIP writes; a failure among them leaves a broken ZIP, so the writer refuses everything after. */
  private async guarded<T>(fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      throw this.broken(err);
    }
  }

  /** A ZIP write failed: the writer refuses everything after; answers what to throw (the abort's error once aborted). */
  private broken(err: unknown): unknown {
    if (this.state === 'open' || this.state === 'finishing') this.state = 'failed';
    if (!this.failure) this.failure = err as Error;
    return this.state === 'aborted' ? this.failure : err;
  }

  /**
   * `canonical`: the caller has checked that safeEntryPath(entryPath) === entryPath (packFolder does, to skip).
   * `inFolder`: a file of a folder being packed, under its claimed prefix (unique within the walk).
   */
  private checkName(entryPath: string, canonical = false, inFolder = false): string {
    const name = canonical ? entryPath : safeEntryPath(entryPath);
    if (RESERVED_NAMES.includes(name)) {
      throw new ArchiveError('ENTRY_UNSAFE', `Entry name "${name}" is reserved`, { path: name, reason: 'reserved' });
    }
    if (inFolder) return name;
    if (this.listed.has(name)) throw new ArchiveError('ENTRY_DUPLICATE', `Entry "${name}" added twice`, { path: name });
    const folder = this.folderPrefixes.find((p) => overlaps(p, name));
    if (folder !== undefined) throw overlapError(name, folder);
    return name;
  }

  /** A folder's prefix, once: it may not be, hold or lie under another folder's prefix or an entry added by name. */
  private claimFolder(prefix: string): string {
    const base = safeEntryPath(prefix);
    const other = this.folderPrefixes.find((p) => overlaps(p, base)) ?? [...this.listed].find((n) => overlaps(n, base));
    if (other !== undefined) throw overlapError(base, other);
    this.folderPrefixes.push(base);
    return base;
  }

  /** A loaded file as an entry: whole in one write when small, streamed from its descriptor otherwise. */
  private loadedEntry(name: string, loaded: LoadedFile, onProgress?: (bytes: number) => void): Promise<ManifestEntry> {
    if (loaded.kind === 'data') return this.knownEntry(name, loaded.data, loaded.mode);
    const stream = fs.createReadStream('', { fd: loaded.fd, highWaterMark: readChunk(loaded.size), autoClose: true });
    return this.streamEntry(name, stream, onProgress, loaded.mode).finally(() => stream.destroy());
  }

  /** An entry whose whole content is at hand, written with its size and CRC. */
  private async knownEntry(name: string, data: Buffer, mode?: number, digest?: Digest): Promise<ManifestEntry> {
    return this.record(name, await this.guarded(() => this.entryWriter.known(name, data, digest)), mode);
  }

  /**
   * A small file of a plain archive, already hashed, written before this returns (ZipOut.addKnownNow): tens of thousands
   * of them cost no promise each. The caller awaits `zip.pressure` between files. A failure leaves a broken ZIP (broken()).
   */
  private digestedNow(name: string, batch: Buffer, at: number, len: number, digest: Digest, mode: number): ManifestEntry {
    try {
      this.zip.addKnownNow(name, batch, at, at + len, digest.crc);
    } catch (err) {
      throw this.broken(err);
    }
    return this.record(name, { stored: null, size: len, sha256: digest.sha256 }, mode);
  }

  /** An entry streamed from `readable`. */
  private async streamEntry(
    name: string,
    readable: Readable,
    onProgress?: (bytes: number) => void,
    mode?: number,
  ): Promise<ManifestEntry> {
    return this.record(name, await this.guarded(() => this.entryWriter.streamed(name, readable, onProgress)), mode);
  }

  /** Records an entry for the manifest (its JSON, into the spill); its name is kept unless it is a folder's file. */
  private record(name: string, { stored, size, sha256 }: WrittenEntry, mode?: number): ManifestEntry {
    const entry: ManifestEntry = stored ? { path: name, size, sha256, stored } : { path: name, size, sha256 };
    if (mode !== undefined) entry.mode = mode;
    if (!this.packing) this.listed.add(name);
    // The same text JSON.stringify(entry) gives, built directly for the common case (a hex digest and numbers around
    // the one string that needs escaping): tens of thousands of small files each paid for a full stringify.
    const json = stored
      ? JSON.stringify(entry)
      : `{"path":${JSON.stringify(name)},"size":${size},"sha256":"${sha256}"${mode !== undefined ? `,"mode":${mode}` : ''}}`;
    this.entriesJson.appendString(this.entryCount ? `,${json}` : json);
    this.entryCount++;
    this.entryBytes += size;
    return entry;
  }
}

/** `a` and `b` are the same entry path, or one is a folder holding the other. */
function overlaps(a: string, b: string): boolean {
  return a === b || b.startsWith(a + '/') || a.startsWith(b + '/');
}

function overlapError(name: string, other: string): ArchiveError {
  return new ArchiveError('ENTRY_DUPLICATE', `Entry "${name}" overlaps "${other}", added already`, { path: name });
}
