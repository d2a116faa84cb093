import { FORMAT, FORMAT_VERSION } from '../../constants';
import { ArchiveError } from './errors';
import type { Manifest, ManifestEntry } from './manifest-types';
import { dumpHeadEntry, MANIFEST_NAME, RESERVED_NAMES, STORED_NAME_RE } from './layout';
import { validateRequirements } from './requirements';
import { entryAtOf } from './packed-entries';
import { PathIndex } from './path-index';
import { safeEntryPath } from './safe-path';
import { TimeSlice } from '../time-slice';
import { messageOf } from '../errno';
import { parseManifestJsonChunks, type ParseOptions } from './manifest-parse';

// The metadata entries' names are the archive layout's; exported here too for the callers that read manifests.
export { ENCRYPTION_NAME, MANIFEST_ENC_NAME, MANIFEST_NAME, RESERVED_NAMES, SIGNATURE_NAME, STORED_NAME_RE } from './layout';

/** manifest.json larger than this is refused before it is read (about 800k entries). */
export const MAX_MANIFEST_BYTES = 128 * 1024 * 1024;
/** Skipped files listed by name in a manifest; beyond that only counted (a hostile folder cannot bloat it). */
export const MAX_SKIPPED_LISTED = 1000;

const SHA256_RE = /^[0-9a-f]{64}$/;
const isMode = (v: unknown): v is number => Number.isSafeInteger(v) && (v as number) >= 0 && (v as number) <= 0o7777;

/** MANIFEST_INVALID about one of the metadata files (manifest.json, encryption.json). */
export function metadataInvalid(
  file: string,
  reason: string,
  extra: Record<string, string | number> = {},
): ArchiveError {
  // `detail` is what the MANIFEST_INVALID locale text interpolates.
  return new ArchiveError('MANIFEST_INVALID', `Invalid ${file}: ${reason}`, {
    reason,
    detail: `${file}: ${reason}`,
    file,
    ...extra,
  });
}

const invalid = (reason: string, extra: Record<string, string | number> = {}) =>
  metadataInvalid(MANIFEST_NAME, reason, extra);

const isObj = (v: unknown): v is Record<string, any> => typeof v === 'object' && v !== null && !Array.isArray(v);
const isStr = (v: unknown): v is string => typeof v === 'string';
const isStrArray = (v: unknown): v is string[] => Array.isArray(v) && v.every(isStr);

function requireStr(obj: Record<string, any>, key: string, where: string, optional = false): void {
  const v = obj[key];
  if (v === undefined && optional) return;
  if (!isStr(v)) throw invalid(`${where}${key} must be a string`, { field: where + key });
}

function requireObj(obj: Record<string, any>, key: string): Record<string, any> {
  const v = obj[key];
  if (!isObj(v)) throw invalid(`${key} must be an object`, { field: key });
  return v;
}

/**
 * FORMAT_UNKNOWN unless `m` is our format at a version this plugin reads. Checked before any other field: a future
 * version may change every one of them. Shared by the manifest and the plain header of encrypted archives.
 */
export function checkFormat(m: Record<string, unknown>): void {
  if (m.format !== FORMAT) {
    const format = isStr(m.format) ? m.format : JSON.stringify(m.format ?? null);
    const formatVersion = typeof m.formatVersion === 'number' ? m.formatVersion : String(m.formatVersion);
    throw new ArchiveError('FORMAT_UNKNOWN', `Unknown archive format "${format}" (expected "${FORMAT}")`, {
      format,
      formatVersion,
      version: formatVersion,
      supportedVersion: FORMAT_VERSION,
    });
  }
  const v = m.formatVersion;
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 1)
    throw invalid('formatVersion must be a positive integer', { field: 'formatVersion' });
  if (v > FORMAT_VERSION) {
    throw new ArchiveError(
      'FORMAT_UNKNOWN',
      `Archive format version ${v} is newer than this plugin supports (${FORMAT_VERSION}); upgrade the plugin`,
      {
        format: FORMAT,
        formatVersion: v,
        version: v,
        supportedVersion: FORMAT_VERSION,
      },
    );
  }
}

/**
 * Checks the format first (a future version may change every other field), then the required fields and
 * every entry. Unknown extra fields are kept (forward compatible within a format version).
 * Throws FORMAT_UNKNOWN, MANIFEST_INVALID, ENTRY_UNSAFE (non-canonical or conflicting paths), ENTRY_DUPLICATE.
 */
export function validateManifest(value: unknown): Manifest {
  const m = checkManifestHeader(value);
  const { seen, stored } = entryIndexes(m);
  const at = entryAtOf(m.entries);
  for (let i = 0; i < m.entries.length; i++) validateEntry(at(i), i, seen, stored);
  return checkManifestEntries(m, seen, stored.size, entryPaths(m));
}

/**
 * validateManifest, the same checks, in time slices: validating a manifest of tens of thousands of entries takes a
 * few hundred milliseconds of CPU, too long to block a server's requests.
 */
export async function validateManifestAsync(value: unknown): Promise<Manifest> {
  const m = checkManifestHeader(value);
  const { seen, stored } = entryIndexes(m);
  const slice = new TimeSlice();
  const at = entryAtOf(m.entries);
  for (let i = 0; i < m.entries.length; i++) {
    validateEntry(at(i), i, seen, stored);
    if (slice.due()) await slice.pause();
  }
  checkEntrySet(m, seen, stored.size);
  // The clash check looks up every folder of every path: 250 ms at 500,000 entries, in slices too.
  const clash = folderClashCheck(seen);
  for (const p of entryPaths(m)) {
    clash(p);
    if (slice.due()) await slice.pause();
  }
  return checkDumpsListed(m, seen);
}

/** What a set of entry paths is asked. */
interface PathLookup {
  has(path: string): boolean;
}

/**
 * The entry paths and stored names seen, indexed without keeping them (path-index.ts): they are read back from the
 * entries, which a restore holds packed, only when two hashes meet.
 */
function entryIndexes(m: { entries: unknown[] }): { seen: PathIndex; stored: PathIndex } {
  const entryAt = entryAtOf(m.entries);
  return {
    seen: new PathIndex((i) => entryAt(i).path, m.entries.length),
    stored: new PathIndex((i) => entryAt(i).stored!),
  };
}

/** The entries' paths, one at a time (a packed manifest makes each entry when it is read). */
function* entryPaths(m: { entries: unknown[] }): IterableIterator<string> {
  const at = entryAtOf(m.entries);
  for (let i = 0; i < m.entries.length; i++) yield at(i).path;
}

/**
 * The checks of validateManifest for a manifest whose entries are not at hand (the archive writer streams them, and
 * made each from a checked name and its own hash): everything else, with `listed` standing for the entry paths the
 * other fields may name (the dumps). Throws as validateManifest.
 */
export function validateManifestHead<T extends Record<string, any>>(value: T, listed: ReadonlySet<string>): T {
  const m = checkManifestHeader({ ...value, entries: [] });
  checkManifestEntries(m, listed, 0, listed);
  const { entries: _none, ...head } = m;
  return head as unknown as T;
}

/** Everything but the entries themselves (their list must be an array). */
function checkManifestHeader(value: unknown): Record<string, any> & { entries: unknown[] } {
  if (!isObj(value)) throw invalid('not a JSON object');
  const m = value;
  checkFormat(m);

  requireStr(m, 'createdAt', '');
  if (Number.isNaN(Date.parse(m.createdAt))) throw invalid('createdAt must be an ISO date', { field: 'createdAt' });
  for (const key of ['app', 'plugin']) {
    const o = requireObj(m, key);
    requireStr(o, 'name', key + '.');
    requireStr(o, 'version', key + '.');
  }
  const db = requireObj(m, 'database');
  for (const key of ['dialect', 'serverVersion', 'tool', 'toolVersion', 'dump']) requireStr(db, key, 'database.');
  for (const key of ['flavour', 'schema', 'tablePrefix']) requireStr(db, key, 'database.', true);
  if (!isStrArray(db.excludedTableData))
    throw invalid('database.excludedTableData must be an array of strings', { field: 'database.excludedTableData' });
  if (db.dumpFormat !== undefined && db.dumpFormat !== 'custom' && db.dumpFormat !== 'directory')
    throw invalid('database.dumpFormat must be custom or directory', { field: 'database.dumpFormat' });
  if (db.dumpJobs !== undefined && (!Number.isSafeInteger(db.dumpJobs) || db.dumpJobs < 1))
    throw invalid('database.dumpJobs must be a positive integer', { field: 'database.dumpJobs' });
  if (db.tables !== undefined) {
    if (!isObj(db.tables) || !Object.values(db.tables).every((n) => Number.isSafeInteger(n) && (n as number) >= 0)) {
      throw invalid('database.tables must map table names to row counts', { field: 'database.tables' });
    }
  }
  if (!isStrArray(m.parts)) throw invalid('parts must be an array of strings', { field: 'parts' });
  requireStr(m, 'origin', '', true);
  requireStr(m, 'note', '', true);
  if (m.apps !== undefined) {
    if (!Array.isArray(m.apps)) throw invalid('apps must be an array', { field: 'apps' });
    const names = new Set<string>();
    m.apps.forEach((a: unknown, i: number) => {
      if (!isObj(a)) throw invalid(`apps[${i}] must be an object`, { field: `apps[${i}]` });
      for (const key of ['name', 'dialect', 'dump']) requireStr(a, key, `apps[${i}].`);
      for (const key of ['database', 'schema']) requireStr(a, key, `apps[${i}].`, true);
      if (!/^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/.test(a.name) || a.name === 'main' || names.has(a.name)) {
        throw invalid(`apps[${i}].name is not a sub-application name, or repeats one`, { field: `apps[${i}].name` });
      }
      names.add(a.name);
    });
  }
  if (m.dataSources !== undefined) {
    if (!Array.isArray(m.dataSources)) throw invalid('dataSources must be an array', { field: 'dataSources' });
    const keys = new Set<string>();
    m.dataSources.forEach((s: unknown, i: number) => {
      if (!isObj(s)) throw invalid(`dataSources[${i}] must be an object`, { field: `dataSources[${i}]` });
      for (const key of ['key', 'type', 'dialect', 'dump']) requireStr(s, key, `dataSources[${i}].`);
      for (const key of ['database', 'schema']) requireStr(s, key, `dataSources[${i}].`, true);
      if (!/^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/.test(s.key) || s.key === 'main' || keys.has(s.key)) {
        throw invalid(`dataSources[${i}].key is not a data source key, or repeats one`, { field: `dataSources[${i}].key` });
      }
      keys.add(s.key);
    });
  }
  if (m.skippedDataSources !== undefined && (!Array.isArray(m.skippedDataSources) || !m.skippedDataSources.every((s: unknown) => isObj(s) && isStr(s.key) && isStr(s.reason)))) {
    throw invalid('skippedDataSources must list { key, reason }', { field: 'skippedDataSources' });
  }
  checkSkippedFiles(m);
  // Optional (older archives have none); strict when present, and kept in its validated form.
  if (m.requirements !== undefined) m.requirements = validateRequirements(m.requirements, (reason, field) => invalid(reason, { field }));
  if (!Array.isArray(m.entries)) throw invalid('entries must be an array', { field: 'entries' });

  return m as Record<string, any> & { entries: unknown[] };
}

/** skippedFiles (at most MAX_SKIPPED_LISTED { path, reason }) and skippedFileCount (at least as many) go together. */
function checkSkippedFiles(m: Record<string, any>): void {
  if (m.skippedFiles === undefined && m.skippedFileCount === undefined) return;
  const list = m.skippedFiles;
  if (
    !Array.isArray(list) ||
    list.length > MAX_SKIPPED_LISTED ||
    !list.every((f: unknown) => isObj(f) && isStr(f.path) && isStr(f.reason))
  ) {
    throw invalid(`skippedFiles must list at most ${MAX_SKIPPED_LISTED} { path, reason }`, { field: 'skippedFiles' });
  }
  const count = m.skippedFileCount;
  if (!Number.isSafeInteger(count) || count < list.length) {
    throw invalid('skippedFileCount must be an integer, at least the length of skippedFiles', { field: 'skippedFileCount' });
  }
}

/**
 * The checks across entries, once each entry passed validateEntry: folders, stored names, file/folder clashes, the
 * dumps (validateManifestAsync makes the same three steps, the middle one in slices).
 */
function checkManifestEntries(
  m: Record<string, any> & { entries: unknown[] },
  seen: PathLookup,
  storedCount: number,
  paths: Iterable<string>,
): Manifest {
  checkEntrySet(m, seen, storedCount);
  const clash = folderClashCheck(seen);
  for (const p of paths) clash(p);
  return checkDumpsListed(m, seen);
}

/** Folders and stored names. */
function checkEntrySet(m: Record<string, any> & { entries: unknown[] }, seen: PathLookup, storedCount: number): void {
  checkFolders(m.folders, seen);
  // An archive is encrypted as a whole: every entry has a stored name, or none has.
  if (storedCount !== 0 && storedCount !== m.entries.length)
    throw invalid('either every entry or none has a stored name', { field: 'entries' });
}

/**
 * A file may not also be a folder of another entry ('a' and 'a/b'): extraction could not create both. The checker
 * remembers the last folder found clear: entries come folder by folder, so most are passed with one comparison.
 */
function folderClashCheck(seen: PathLookup): (p: string) => void {
  let clear: string | null = null;
  return (p) => {
    const last = p.lastIndexOf('/');
    if (last < 0) return;
    const parent = p.slice(0, last);
    if (parent === clear) return;
    for (let i = p.indexOf('/'); i !== -1; i = p.indexOf('/', i + 1)) {
      const dir = p.slice(0, i);
      if (seen.has(dir)) {
        throw new ArchiveError('ENTRY_UNSAFE', `Entry "${dir}" is both a file and a folder`, {
          path: dir,
          reason: 'file and folder',
        });
      }
    }
    clear = parent;
  };
}

/** The dumps the other fields name are listed entries. */
function checkDumpsListed(m: Record<string, any> & { entries: unknown[] }, seen: PathLookup): Manifest {
  const db = m.database as Record<string, any>;
  // A directory-format dump is a folder: its table of contents must be listed (the folder itself is no entry).
  const dumpFile = dumpHeadEntry(db as { dump: string; dumpFormat?: string });
  if (m.parts.includes('database') && !seen.has(dumpFile)) {
    throw invalid(`database.dump "${dumpFile}" is not a listed entry`, { field: 'database.dump' });
  }
  for (const [i, a] of ((m.apps as { dump: string }[]) || []).entries()) {
    if (!seen.has(a.dump)) throw invalid(`apps[${i}].dump "${a.dump}" is not a listed entry`, { field: `apps[${i}].dump` });
  }
  for (const [i, s] of ((m.dataSources as { dump: string }[]) || []).entries()) {
    if (!seen.has(s.dump)) throw invalid(`dataSources[${i}].dump "${s.dump}" is not a listed entry`, { field: `dataSources[${i}].dump` });
  }
  return m as Manifest;
}

/** folders: canonical safe paths, none of them a listed file, each once, with permission bits. */
function checkFolders(folders: unknown, files: PathLookup): void {
  if (folders === undefined) return;
  if (!Array.isArray(folders)) throw invalid('folders must be an array', { field: 'folders' });
  const seen = new Set<string>();
  folders.forEach((f: unknown, i: number) => {
    if (!isObj(f) || !isStr(f.path) || !isMode(f.mode))
      throw invalid(`folders[${i}] must be { path, mode } with permission bits`, { field: `folders[${i}]` });
    if (safeEntryPath(f.path) !== f.path || files.has(f.path) || seen.has(f.path))
      throw invalid(`folders[${i}].path is not a canonical folder path, or repeats one`, { field: `folders[${i}].path` });
    seen.add(f.path);
  });
}

function validateEntry(e: unknown, i: number, seen: PathIndex, stored: PathIndex): asserts e is ManifestEntry {
  if (!isObj(e)) throw invalid(`entries[${i}] must be an object`, { field: `entries[${i}]` });
  if (!isStr(e.path)) throw invalid(`entries[${i}].path must be a string`, { field: `entries[${i}].path` });
  const canonical = safeEntryPath(e.path); // throws ENTRY_UNSAFE
  if (canonical !== e.path) {
    throw new ArchiveError('ENTRY_UNSAFE', `Entry path "${e.path}" is not canonical`, {
      path: e.path,
      reason: 'not canonical',
    });
  }
  if (RESERVED_NAMES.includes(e.path)) throw invalid(`${e.path} is a reserved name`, { field: `entries[${i}].path` });
  if (!seen.add(e.path, i))
    throw new ArchiveError('ENTRY_DUPLICATE', `Entry "${e.path}" is listed twice`, { path: e.path });
  if (!Number.isSafeInteger(e.size) || e.size < 0)
    throw invalid(`entries[${i}].size must be a non-negative integer`, { field: `entries[${i}].size`, path: e.path });
  if (!isStr(e.sha256) || !SHA256_RE.test(e.sha256))
    throw invalid(`entries[${i}].sha256 must be 64 lowercase hex digits`, {
      field: `entries[${i}].sha256`,
      path: e.path,
    });
  if (e.mode !== undefined && !isMode(e.mode))
    throw invalid(`entries[${i}].mode must be permission bits (0 to 0o7777)`, { field: `entries[${i}].mode`, path: e.path });
  if (e.stored !== undefined) {
    if (!isStr(e.stored) || !STORED_NAME_RE.test(e.stored))
      throw invalid(`entries[${i}].stored must look like e/000001`, { field: `entries[${i}].stored`, path: e.path });
    if (!stored.add(e.stored, i))
      throw new ArchiveError('ENTRY_DUPLICATE', `Stored entry "${e.stored}" is listed twice`, { path: e.path });
  }
}

/** Parses manifest.json bytes (UTF-8 JSON) and validates them. */
export function parseManifest(buf: Buffer): Manifest {
  return validateManifest(parseJson(buf));
}

/**
 * parseManifest of the bytes `chunks` yields, never held whole, the entries parsed and checked in slices (tens of
 * thousands of entries do not hold the event loop; manifest-parse.ts); `whole` reads the bytes again.
 */
export async function parseManifestChunksAsync(
  chunks: AsyncIterable<Buffer>,
  whole: () => Promise<Buffer>,
  opts: ParseOptions = {},
): Promise<Manifest> {
  let value: unknown;
  try {
    value = await parseManifestJsonChunks(chunks, whole, opts);
  } catch (err) {
    if (err instanceof ArchiveError) throw err;
    throw invalid(`not valid JSON (${messageOf(err)})`);
  }
  return validateManifestAsync(value);
}

function parseJson(buf: Buffer): unknown {
  try {
    return JSON.parse(buf.toString('utf8'));
  } catch (err) {
    throw invalid(`not valid JSON (${messageOf(err)})`);
  }
}
