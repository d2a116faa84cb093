import archiver from 'archiver';
import fs from 'fs';
import fsp from 'fs/promises';
import path from 'path';
import { Readable, Transform } from 'stream';
import { FORMAT, FORMAT_VERSION } from '../../constants';
import { CipherParams, CipherTuning, createCipherParams, EncryptStream, Keyring } from '../crypto';
import { Coalesce } from './coalesce';
import { encryptionInfoBytes } from './encryption-info';
import { ArchiveError } from './errors';
import { exists, fsyncFile, moveInto, openRegularSized } from './fs-ops';
import { HashStream } from './hash-stream';
import { headerOf } from './header';
import {
  ENCRYPTION_NAME,
  MANIFEST_ENC_NAME,
  MANIFEST_NAME,
  MAX_SKIPPED_LISTED,
  RESERVED_NAMES,
  validateManifestAsync,
} from './manifest';
import type { FolderMode, Manifest, ManifestEntry, SkippedFile } from './manifest-types';
import { SIGNATURE_NAME, signatureBytes, type SignedPart } from './provenance';
import { safeEntryPath } from './safe-path';

/** A (small) stream's whole content. */
async function buffered(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of stream) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

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
}

/** What finish() needs: the manifest without entries (format/formatVersion are always set by the writer). */
export type ManifestDraft = Omit<Manifest, 'entries' | 'format' | 'formatVersion'> & {
  format?: string;
  formatVersion?: number;
};

export interface AddDirectoryOptions {
  /** Content bytes of this folder packed so far (called per chunk). */
  onProgress?: (bytesDone: number) => void;
  /** Called for every item left out: symlinks, special files, names that cannot be a safe entry path, files deleted meanwhile. */
  onSkip?: (relPath: string, reason: SkipReason) => void;
}

export type SkipReason = 'symlink' | 'not a regular file' | 'unsafe name' | 'vanished';

export interface FinishResult {
  path: string;
  /** Size of the archive file in bytes. */
  size: number;
  manifest: Manifest;
  encrypted: boolean;
}

type State = 'open' | 'finishing' | 'finished' | 'aborted' | 'failed';

interface Sealer {
  params: CipherParams;
  keyring: Keyring;
}

/** Opaque ZIP name of the n-th encrypted entry: upload names must not show in the archive. */
const storedNameOf = (n: number) => `e/${String(n).padStart(6, '0')}`;

const READ_CHUNK = 256 * 1024;
/**
 * Read buffer for a file of `size` bytes: every read allocates a buffer of the full chunk size, so tens of thousands
 * of small files each read into 256 KiB made the server's RSS climb by hundreds of MB between garbage collections.
 */
const readChunk = (size: number) => Math.min(READ_CHUNK, Math.max(4096, size));
/** Pieces smaller than PASS_THROUGH (headers, small files) are gathered into writes of about WRITE_CHUNK. */
const WRITE_CHUNK = 256 * 1024;
const PASS_THROUGH = 16 * 1024;
const byName = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/**
 * Streams entries into one ZIP (every entry STORED, zip64 where sizes or offsets need it) and appends
 * manifest.json last, listing every entry with its size and SHA-256. With a password every entry is encrypted under an
 * opaque name (e/000001...), and the manifest is stored encrypted (manifest.json.enc) followed by encryption.json.
 * Entries are added strictly one at a time (calls are queued), content is never buffered whole, and nothing but
 * content is kept in the ZIP (fixed mode 0600, one timestamp for all entries; real modes are in the manifest).
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

  private readonly archive: archiver.Archiver;
  private readonly out: fs.WriteStream;
  private readonly coalesce = new Coalesce(PASS_THROUGH, WRITE_CHUNK);
  private readonly date = new Date();
  private readonly list: ManifestEntry[] = [];
  private readonly names = new Set<string>();
  private queue: Promise<unknown> = Promise.resolve();
  private state: State = 'open';
  private failure: Error | null = null;
  /** Rejects the in-flight add when the archive or output fails. */
  private pendingFail: ((err: Error) => void) | null = null;
  /** Streams of the entry being written, destroyed on abort. */
  private current: Transform[] = [];
  private outClosed: Promise<void>;
  private readonly sealer: Sealer | null;
  private storedCount = 0;
  private signingKey: Buffer | null = null;

  private constructor(finalPath: string, partialPath: string, out: fs.WriteStream, sealer: Sealer | null) {
    this.finalPath = finalPath;
    this.partialPath = partialPath;
    this.out = out;
    this.sealer = sealer;
    this.outClosed = new Promise((resolve) => out.once('close', () => resolve()));
    this.archive = archiver('zip', { store: true, forceZip64: false });
    paceCentralDirectory(this.archive);
    const fatal = (err: Error) => this.fatal(err);
    this.archive.on('error', fatal);
    this.archive.on('warning', fatal);
    this.out.on('error', fatal);
    this.archive.pipe(this.coalesce).pipe(this.out);
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
    const out = fs.createWriteStream(partial, { flags: 'w', mode: 0o600 });
    await new Promise<void>((resolve, reject) => {
      out.once('open', () => resolve());
      out.once('error', reject);
    });
    await fsp.chmod(partial, 0o600); // a stale partial file may have had other permissions
    const writer = new ArchiveWriter(target, partial, out, sealer);
    writer.signingKey = opts.signingKey ?? null;
    return writer;
  }

  /** True when the archive is being encrypted. */
  get encrypted(): boolean {
    return this.sealer !== null;
  }

  /** Bytes written to the archive file so far (headers included). */
  get bytesWritten(): number {
    return this.archive.pointer();
  }

  /** Entries added so far, in archive order. */
  get entries(): readonly ManifestEntry[] {
    return this.list;
  }

  /** Streams `readable` into entry `entryPath`. The writer does not destroy a caller's stream on abort. */
  addStream(entryPath: string, readable: Readable): Promise<ManifestEntry> {
    return this.enqueue(() => this.streamEntry(entryPath, readable));
  }

  addBuffer(entryPath: string, data: Buffer | string): Promise<ManifestEntry> {
    return this.enqueue(() => this.streamEntry(entryPath, Readable.from([Buffer.from(data)])));
  }

  /** Adds one regular file (a symlink is refused: opened with O_NOFOLLOW). */
  addFile(entryPath: string, absPath: string): Promise<ManifestEntry> {
    return this.enqueue(async () => {
      const name = this.checkName(entryPath);
      let fh: fsp.FileHandle;
      let size: number;
      try {
        ({ fh, size } = await openRegularSized(absPath));
      } catch (err: any) {
        throw sourceFailed(name, err);
      }
      return this.streamEntry(
        name,
        fh.createReadStream({ highWaterMark: readChunk(size), autoClose: true }),
        undefined,
        () => fh.close().catch(() => undefined),
      );
    });
  }

  /**
   * Adds every regular file under absDir as `<prefix>/<relative path>`, depth first in sorted name order.
   * Symlinks (files or folders) and special files are skipped; so are names that cannot be safe entry paths
   * (e.g. containing a backslash) and files deleted while walking. Folders are not entries; each file's mode and the
   * modes of the folders holding files go into the manifest (entry `mode`, `folders`), for the restore.
   */
  addDirectory(prefix: string, absDir: string, opts: AddDirectoryOptions = {}): Promise<ManifestEntry[]> {
    return this.enqueue(async () => {
      const base = safeEntryPath(prefix);
      const added: ManifestEntry[] = [];
      let done = 0;
      const skip = (rel: string, reason: SkipReason) => {
        if (++this.skippedCount <= MAX_SKIPPED_LISTED) this.skipped.push({ path: `${base}/${rel}`, reason });
        opts.onSkip?.(rel, reason);
      };
      const walk = async (dir: string, rel: string): Promise<void> => {
        let dirents: fs.Dirent[];
        let dirMode: number;
        try {
          dirents = await fsp.readdir(dir, { withFileTypes: true });
          dirMode = (await fsp.stat(dir)).mode & 0o7777;
        } catch (err: any) {
          if (rel && err?.code === 'ENOENT') return skip(rel, 'vanished');
          throw sourceFailed(rel ? `${base}/${rel}` : base, err);
        }
        const addedBefore = added.length;
        dirents.sort((a, b) => byName(a.name, b.name));
        for (const d of dirents) {
          const childRel = rel ? `${rel}/${d.name}` : d.name;
          const abs = path.join(dir, d.name);
          if (d.isSymbolicLink()) {
            skip(childRel, 'symlink');
          } else if (d.isDirectory()) {
            await walk(abs, childRel);
          } else if (!d.isFile()) {
            skip(childRel, 'not a regular file');
          } else {
            const entryPath = `${base}/${childRel}`;
            let name: string;
            try {
              name = safeEntryPath(entryPath);
              if (name !== entryPath) throw new Error('not canonical');
            } catch {
              skip(childRel, 'unsafe name');
              continue;
            }
            let fh: fsp.FileHandle;
            let size: number;
            let mode: number;
            try {
              ({ fh, size, mode } = await openRegularSized(abs));
            } catch (err: any) {
              if (err?.code === 'ENOENT') {
                skip(childRel, 'vanished');
                continue;
              }
              if (err?.code === 'ELOOP') {
                skip(childRel, 'symlink'); // replaced by a symlink since readdir
                continue;
              }
              if (err?.code === 'NOT_REGULAR') {
                skip(childRel, 'not a regular file');
                continue;
              }
              throw sourceFailed(name, err);
            }
            const start = done;
            const entry = await this.streamEntry(
              name,
              fh.createReadStream({ highWaterMark: readChunk(size), autoClose: true }),
              opts.onProgress ? (n) => opts.onProgress!(start + n) : undefined,
              () => fh.close().catch(() => undefined),
              mode & 0o7777,
            );
            done += entry.size;
            added.push(entry);
          }
        }
        // Only folders that will exist again on restore: those holding packed files.
        if (added.length > addedBefore) this.folders.push({ path: rel ? `${base}/${rel}` : base, mode: dirMode });
      };
      await walk(path.resolve(absDir), '');
      return added;
    });
  }

  /**
   * Appends manifest.json (the draft plus every entry), or, encrypted, manifest.json.enc and then encryption.json;
   * finalises the ZIP, fsyncs, renames the partial file to finalPath and makes it 0600. Then the writer is closed.
   */
  finish(draft: ManifestDraft): Promise<FinishResult> {
    return this.enqueue(async () => {
      const {
        entries: _ignored,
        format: _f,
        formatVersion: _v,
        ...rest
      } = draft as ManifestDraft & { entries?: unknown };
      // Tens of thousands of entries: validated in slices, so the server keeps answering meanwhile.
      const manifest = await validateManifestAsync({
        format: FORMAT,
        formatVersion: FORMAT_VERSION,
        ...rest,
        ...(this.folders.length ? { folders: [...this.folders] } : {}),
        ...(this.skippedCount ? { skippedFiles: [...this.skipped], skippedFileCount: this.skippedCount } : {}),
        entries: [...this.list],
      });
      const manifestBytes = Buffer.from(JSON.stringify(manifest), 'utf8');
      let signed: SignedPart[];
      if (this.sealer) {
        // Encrypted into a buffer first: the signature covers the bytes as stored, checked without the password.
        const sealed = await buffered(
          Readable.from([manifestBytes]).pipe(
            new EncryptStream(
              this.sealer.keyring.entryKey(MANIFEST_ENC_NAME),
              MANIFEST_ENC_NAME,
              this.sealer.params.chunkSize,
            ),
          ),
        );
        const info = encryptionInfoBytes(this.sealer.params, headerOf(manifest));
        await this.streamRaw(MANIFEST_ENC_NAME, Readable.from([sealed]), false);
        await this.streamRaw(ENCRYPTION_NAME, Readable.from([info]), false);
        signed = [
          { name: ENCRYPTION_NAME, bytes: info },
          { name: MANIFEST_ENC_NAME, bytes: sealed },
        ];
      } else {
        await this.streamRaw(MANIFEST_NAME, Readable.from([manifestBytes]), false);
        signed = [{ name: MANIFEST_NAME, bytes: manifestBytes }];
      }
      if (this.signingKey) {
        await this.streamRaw(SIGNATURE_NAME, Readable.from([signatureBytes(this.signingKey, signed)]), false);
      }

      this.state = 'finishing';
      await new Promise<void>((resolve, reject) => {
        this.pendingFail = reject;
        this.archive.finalize().catch(reject);
        this.outClosed.then(() => {
          if (this.failure) reject(this.failure);
          else resolve();
        });
      });
      this.pendingFail = null;
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
      return { path: this.finalPath, size, manifest, encrypted: this.sealer !== null };
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
      this.pendingFail?.(err);
      this.pendingFail = null;
      try {
        this.archive.abort();
      } catch {
        /* already finalised */
      }
      for (const s of this.current) s.destroy();
      this.archive.unpipe(this.coalesce);
      this.coalesce.unpipe(this.out);
      this.coalesce.destroy();
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
    const fail = this.pendingFail;
    this.pendingFail = null;
    fail?.(err);
  }

  private checkName(entryPath: string): string {
    const name = safeEntryPath(entryPath);
    if (RESERVED_NAMES.includes(name)) {
      throw new ArchiveError('ENTRY_UNSAFE', `Entry name "${name}" is reserved`, { path: name, reason: 'reserved' });
    }
    if (this.names.has(name)) throw new ArchiveError('ENTRY_DUPLICATE', `Entry "${name}" added twice`, { path: name });
    return name;
  }

  /** One listed entry, not queued (callers are): checks its name, streams it, records it in the manifest list. */
  private async streamEntry(
    entryPath: string,
    readable: Readable,
    onProgress?: (bytes: number) => void,
    onDone?: () => void,
    mode?: number,
  ): Promise<ManifestEntry> {
    let name: string;
    try {
      name = this.checkName(entryPath);
    } catch (err) {
      onDone?.();
      throw err;
    }
    const stored = this.sealer ? storedNameOf(++this.storedCount) : null;
    const { size, sha256 } = await this.streamRaw(stored ?? name, readable, stored !== null, onProgress, onDone, name);
    const entry: ManifestEntry = stored ? { path: name, size, sha256, stored } : { path: name, size, sha256 };
    if (mode !== undefined) entry.mode = mode;
    this.names.add(name);
    this.list.push(entry);
    return entry;
  }

  /**
   * One ZIP entry named `zipName`, encrypted (its name is the entry id bound into every chunk) when `encrypt`.
   * Resolves with the size and SHA-256 of the plaintext once archiver has written the entry (and its data descriptor).
   * `label` names the entry in errors (the real path, not the opaque name).
   */
  private streamRaw(
    zipName: string,
    readable: Readable,
    encrypt: boolean,
    onProgress?: (bytes: number) => void,
    onDone?: () => void,
    label = zipName,
  ): Promise<{ size: number; sha256: string }> {
    const hasher = new HashStream({ onProgress });
    const encrypter =
      encrypt && this.sealer
        ? new EncryptStream(this.sealer.keyring.entryKey(zipName), zipName, this.sealer.params.chunkSize)
        : null;
    this.current = encrypter ? [hasher, encrypter] : [hasher];
    return new Promise((resolve, reject) => {
      let settled = false;
      const settle = () => {
        settled = true;
        this.archive.removeListener('entry', onEntry);
        this.pendingFail = null;
        this.current = [];
        onDone?.();
      };
      const fail = (err: Error) => {
        if (settled) return;
        settle();
        // The ZIP now holds half an entry: the writer cannot continue.
        if (this.state === 'open') this.state = 'failed';
        if (!this.failure) this.failure = err;
        reject(err);
      };
      const onEntry = () => {
        if (settled) return;
        settle();
        resolve({ size: hasher.bytes, sha256: hasher.sha256 });
      };
      this.pendingFail = fail;
      this.archive.on('entry', onEntry);
      // Keep listening after settling so a late error never becomes an uncaught exception.
      readable.on('error', (err) => fail(sourceFailed(label, err)));
      hasher.on('error', (err) => fail(sourceFailed(label, err)));
      encrypter?.on('error', (err) => fail(sourceFailed(label, err)));
      readable.pipe(hasher);
      const body = encrypter ? hasher.pipe(encrypter) : hasher;
      this.archive.append(body as unknown as Readable, { name: zipName, date: this.date, mode: 0o600 });
    });
  }
}

/** Entries per write of the central directory (about 100 bytes each). */
const CENTRAL_BATCH = 512;

/**
 * compress-commons writes the whole central directory in one synchronous loop: about 18 tiny writes per entry, with no
 * regard for backpressure. With 50,000 files that blocked the event loop for seconds and buffered hundreds of MB of
 * chunks. This replaces its _finish on our instance only: the same records, written by its own
 * _writeCentralFileHeader, gathered into one buffer per CENTRAL_BATCH entries, each written once the stream drained.
 */
function paceCentralDirectory(archive: archiver.Archiver): void {
  // archiver's zip module keeps its zip-stream engine here (archiver 7 / zip-stream 6 / compress-commons 6).
  const engine = (archive as unknown as { _module?: { engine?: any } })._module?.engine;
  if (!engine || typeof engine._writeCentralFileHeader !== 'function' || typeof engine.isZip64 !== 'function') return;
  engine._finish = function finishPaced(this: any) {
    const write = this.write;
    const entries: unknown[] = this._entries;
    this._archive.centralOffset = this.offset;
    let i = 0;
    const next = (): void => {
      try {
        if (i < entries.length) {
          const parts: Buffer[] = [];
          // Names without the UTF-8 flag come as (ASCII) strings, which a stream write would encode as UTF-8.
          this.write = (chunk: Buffer | string) => {
            parts.push(typeof chunk === 'string' ? Buffer.from(chunk, 'utf8') : chunk);
            return true;
          };
          try {
            for (const end = Math.min(entries.length, i + CENTRAL_BATCH); i < end; i++) this._writeCentralFileHeader(entries[i]);
          } finally {
            this.write = write;
          }
          // write() counts the offset; the stream decides when the next batch may follow.
          if (this.write(Buffer.concat(parts))) setImmediate(next);
          else this.once('drain', next);
          return;
        }
        this._archive.centralLength = this.offset - this._archive.centralOffset;
        if (this.isZip64()) this._writeCentralDirectoryZip64();
        this._writeCentralDirectoryEnd();
        this._archive.processing = false;
        this._archive.finish = true;
        this._archive.finished = true;
        this.end();
      } catch (err) {
        this.emit('error', err);
      }
    };
    next();
  };
}

function sourceFailed(name: string, err: unknown): ArchiveError {
  if (err instanceof ArchiveError) return err;
  const e = err as NodeJS.ErrnoException | undefined;
  return new ArchiveError(
    'SOURCE_FAILED',
    `Reading "${name}" failed: ${e?.message ?? err}`,
    { path: name, reason: String(e?.code ?? e?.message ?? err) },
    { cause: err },
  );
}
