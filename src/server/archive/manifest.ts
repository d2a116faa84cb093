import { FORMAT, FORMAT_VERSION } from '../../constants';
import { ArchiveError } from './errors';
import type { Manifest, ManifestEntry } from './manifest-types';
import { safeEntryPath } from './safe-path';

/** Name of the manifest entry: always the last entry of the archive, never listed in manifest.entries. */
export const MANIFEST_NAME = 'manifest.json';
/** manifest.json larger than this is refused before it is read (about 800k entries). */
export const MAX_MANIFEST_BYTES = 128 * 1024 * 1024;

const SHA256_RE = /^[0-9a-f]{64}$/;

function invalid(reason: string, extra: Record<string, string | number> = {}): ArchiveError {
  return new ArchiveError('MANIFEST_INVALID', `Invalid manifest.json: ${reason}`, { reason, ...extra });
}

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
 * Checks the format first (a future version may change every other field), then the required fields and
 * every entry. Unknown extra fields are kept (forward compatible within a format version).
 * Throws FORMAT_UNKNOWN, MANIFEST_INVALID, ENTRY_UNSAFE (non-canonical or conflicting paths), ENTRY_DUPLICATE.
 */
export function validateManifest(value: unknown): Manifest {
  if (!isObj(value)) throw invalid('not a JSON object');
  const m = value;
  if (m.format !== FORMAT) {
    const format = isStr(m.format) ? m.format : JSON.stringify(m.format ?? null);
    throw new ArchiveError('FORMAT_UNKNOWN', `Unknown archive format "${format}" (expected "${FORMAT}")`, {
      format,
      formatVersion: typeof m.formatVersion === 'number' ? m.formatVersion : String(m.formatVersion),
      supportedVersion: FORMAT_VERSION,
    });
  }
  if (!Number.isSafeInteger(m.formatVersion) || m.formatVersion < 1) throw invalid('formatVersion must be a positive integer', { field: 'formatVersion' });
  if (m.formatVersion > FORMAT_VERSION) {
    throw new ArchiveError(
      'FORMAT_UNKNOWN',
      `Archive format version ${m.formatVersion} is newer than this plugin supports (${FORMAT_VERSION}); upgrade the plugin`,
      { format: FORMAT, formatVersion: m.formatVersion, supportedVersion: FORMAT_VERSION },
    );
  }

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
  if (!isStrArray(db.excludedTableData)) throw invalid('database.excludedTableData must be an array of strings', { field: 'database.excludedTableData' });
  if (db.tables !== undefined) {
    if (!isObj(db.tables) || !Object.values(db.tables).every((n) => Number.isSafeInteger(n) && (n as number) >= 0)) {
      throw invalid('database.tables must map table names to row counts', { field: 'database.tables' });
    }
  }
  if (!isStrArray(m.parts)) throw invalid('parts must be an array of strings', { field: 'parts' });
  requireStr(m, 'origin', '', true);
  if (!Array.isArray(m.entries)) throw invalid('entries must be an array', { field: 'entries' });

  const seen = new Set<string>();
  m.entries.forEach((e: unknown, i: number) => validateEntry(e, i, seen));
  // A file may not also be a folder of another entry ('a' and 'a/b'): extraction could not create both.
  for (const p of seen) {
    for (let i = p.indexOf('/'); i !== -1; i = p.indexOf('/', i + 1)) {
      const dir = p.slice(0, i);
      if (seen.has(dir)) {
        throw new ArchiveError('ENTRY_UNSAFE', `Entry "${dir}" is both a file and a folder`, { path: dir, reason: 'file and folder' });
      }
    }
  }
  if (m.parts.includes('database') && !seen.has(db.dump)) {
    throw invalid(`database.dump "${db.dump}" is not a listed entry`, { field: 'database.dump' });
  }
  return m as Manifest;
}

function validateEntry(e: unknown, i: number, seen: Set<string>): asserts e is ManifestEntry {
  if (!isObj(e)) throw invalid(`entries[${i}] must be an object`, { field: `entries[${i}]` });
  if (!isStr(e.path)) throw invalid(`entries[${i}].path must be a string`, { field: `entries[${i}].path` });
  const canonical = safeEntryPath(e.path); // throws ENTRY_UNSAFE
  if (canonical !== e.path) {
    throw new ArchiveError('ENTRY_UNSAFE', `Entry path "${e.path}" is not canonical`, { path: e.path, reason: 'not canonical' });
  }
  if (e.path === MANIFEST_NAME) throw invalid(`${MANIFEST_NAME} may not list itself`, { field: `entries[${i}].path` });
  if (seen.has(e.path)) throw new ArchiveError('ENTRY_DUPLICATE', `Entry "${e.path}" is listed twice`, { path: e.path });
  seen.add(e.path);
  if (!Number.isSafeInteger(e.size) || e.size < 0) throw invalid(`entries[${i}].size must be a non-negative integer`, { field: `entries[${i}].size`, path: e.path });
  if (!isStr(e.sha256) || !SHA256_RE.test(e.sha256)) throw invalid(`entries[${i}].sha256 must be 64 lowercase hex digits`, { field: `entries[${i}].sha256`, path: e.path });
}

/** Parses manifest.json bytes (UTF-8 JSON) and validates them. */
export function parseManifest(buf: Buffer): Manifest {
  let value: unknown;
  try {
    value = JSON.parse(buf.toString('utf8'));
  } catch (err: any) {
    throw invalid(`not valid JSON (${err?.message ?? err})`);
  }
  return validateManifest(value);
}
