import path from 'path';
import { ArchiveError } from './errors';

/** Longest entry name accepted, in UTF-8 bytes (Linux PATH_MAX). */
export const MAX_ENTRY_PATH_BYTES = 4096;

/**
 * Relative, forward slashes, no drive letter, no empty, '.' or '..' segment, no backslash or NUL: what safeEntryPath
 * returns unchanged.
 */
const CANONICAL_PATH = /^(?![a-zA-Z]:)(?!\.\.?(?:\/|$))[^/\\\0]+(?:\/(?!\.\.?(?:\/|$))[^/\\\0]+)*$/;

function unsafe(name: unknown, reason: string): ArchiveError {
  const shown = typeof name === 'string' ? name.replace(/\0/g, '\\0') : String(name);
  return new ArchiveError('ENTRY_UNSAFE', `Unsafe entry path "${shown}": ${reason}`, { path: shown, reason });
}

/**
 * The canonical form of an archive entry path: relative, forward slashes, no '.', '..' or empty segments.
 * Pure. Throws ArchiveError ENTRY_UNSAFE for anything that is not plainly a relative path:
 * empty names, NUL, backslashes, absolute paths, drive letters / UNC prefixes, '..' segments.
 * Repeated slashes, './' segments and a trailing slash are normalised away.
 */
export function safeEntryPath(name: string): string {
  // Most names are already canonical: one regular expression instead of the steps below (a 50,000-entry manifest is
  // checked on every read). 1365 UTF-16 units are at most 4095 UTF-8 bytes.
  if (typeof name === 'string' && name.length <= 1365 && CANONICAL_PATH.test(name)) return name;
  if (typeof name !== 'string' || name.length === 0) throw unsafe(name, 'empty name');
  if (name.includes('\0')) throw unsafe(name, 'contains NUL');
  if (name.includes('\\')) throw unsafe(name, 'contains a backslash');
  if (Buffer.byteLength(name, 'utf8') > MAX_ENTRY_PATH_BYTES) throw unsafe(name, 'too long');
  if (name.startsWith('/')) throw unsafe(name, 'absolute path');
  if (/^[a-zA-Z]:/.test(name)) throw unsafe(name, 'drive letter');
  const out: string[] = [];
  for (const seg of name.split('/')) {
    if (seg === '' || seg === '.') continue;
    if (seg === '..') throw unsafe(name, "'..' segment");
    out.push(seg);
  }
  if (out.length === 0) throw unsafe(name, 'empty name');
  return out.join('/');
}

/** True when `name` is already canonical (safeEntryPath(name) === name); never throws. */
export function isCanonicalEntryPath(name: string): boolean {
  try {
    return safeEntryPath(name) === name;
  } catch {
    return false;
  }
}

/**
 * The absolute path of entry `rel` under `root`, guaranteed to be strictly inside root (lexically: a symlink
 * already present under root is the caller's concern; the reader refuses them while extracting).
 */
export function resolveInside(root: string, rel: string): string {
  const safe = safeEntryPath(rel);
  // A canonical name has no '.', '..' or empty segment: under a normalised absolute root, joining is resolving. The
  // strings path.resolve and path.relative build were most of what a restore allocated per file (several KB), and
  // the more it allocates, the more often a collection promotes what is in flight: a heap that grew with the files.
  if (isNormalRoot(root)) return root === '/' ? `/${safe}` : `${root}/${safe}`;
  const base = path.resolve(root);
  const target = path.resolve(base, ...safe.split('/'));
  const back = path.relative(base, target);
  if (back === '' || back === '..' || back.startsWith('..' + path.sep) || path.isAbsolute(back)) {
    throw unsafe(rel, 'resolves outside the target folder');
  }
  return target;
}

/** The last root found normalised: a restore asks about the same one for every file. */
let normalRoot: string | null = null;

/** An absolute POSIX path that path.resolve leaves as it is (no trailing slash, '.', '..' or repeated slash). */
function isNormalRoot(root: string): boolean {
  if (root === normalRoot) return true;
  if (path.sep !== '/' || !path.isAbsolute(root) || path.resolve(root) !== root) return false;
  normalRoot = root;
  return true;
}
