/**
 * The pure parts of the resumable (tus) upload: ids, the file name the client announces, the size and the expiry.
 * No I/O here: tus-server.ts and tus-sweep.ts act on what these decide.
 */

/** An abandoned upload (no chunk for this long) is removed by the sweep; the same 24 h as a one-request upload. */
export const TUS_EXPIRY_MS = 24 * 3600 * 1000;
/** How often the sweep looks for abandoned uploads (it also runs at start and before each new upload). */
export const TUS_SWEEP_EVERY_MS = 3600 * 1000;
/** Names of tus files in the uploads folder: data `tus-<hex>`, its state `tus-<hex>.json`. */
export const TUS_PREFIX = 'tus-';
export const MAX_FILE_NAME = 255;

const ID = /^tus-([a-f0-9]{32})$/;

/** The tus id of an upload, or null for anything else (a path, `..`, another file of the folder). */
export function parseTusId(id: unknown): string | null {
  return typeof id === 'string' && ID.test(id) ? id : null;
}

/** The finished upload's id for the restore action (`<hex>`, as the one-request upload answers). */
export function uploadIdOf(tusId: string): string {
  const m = ID.exec(tusId);
  if (!m) throw new Error(`not a tus id: ${tusId}`);
  return m[1];
}

export type TusRefusal = { code: 'UPLOAD_NAME_INVALID' | 'UPLOAD_LENGTH_REQUIRED' | 'UPLOAD_EMPTY' | 'UPLOAD_TOO_LARGE'; status: number };

/**
 * Judges a new upload from what the client announced: the file name (only shown and logged, never a path, yet
 * refused when it looks like one), and the length (required: no deferred length, not empty, within the limit).
 */
export function checkNewUpload(input: { fileName: unknown; size: number | undefined }, limit: number): TusRefusal | null {
  const name = input.fileName;
  if (
    name !== undefined &&
    name !== null &&
    (typeof name !== 'string' ||
      name.length === 0 ||
      name.length > MAX_FILE_NAME ||
      name === '.' ||
      name.includes('..') ||
      /[\\/\0-\x1f\x7f]/.test(name))
  ) {
    return { code: 'UPLOAD_NAME_INVALID', status: 400 };
  }
  if (input.size === undefined || input.size === null || !Number.isFinite(input.size)) return { code: 'UPLOAD_LENGTH_REQUIRED', status: 400 };
  if (input.size <= 0) return { code: 'UPLOAD_EMPTY', status: 400 };
  if (input.size > limit) return { code: 'UPLOAD_TOO_LARGE', status: 413 };
  return null;
}

/**
 * Which tus uploads the sweep removes: those whose last write (data or state, the newer) is older than the expiry.
 * `files` are the folder's names with their mtimes; other files are not ours to judge here.
 */
export function expiredTusIds(files: { name: string; mtimeMs: number }[], now: number, expiryMs = TUS_EXPIRY_MS): string[] {
  const last = new Map<string, number>();
  for (const f of files) {
    const id = parseTusId(f.name.endsWith('.json') ? f.name.slice(0, -5) : f.name);
    if (id) last.set(id, Math.max(last.get(id) ?? 0, f.mtimeMs));
  }
  return [...last].filter(([, t]) => now - t > expiryMs).map(([id]) => id);
}
