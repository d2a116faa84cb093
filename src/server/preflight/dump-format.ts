// Pure: which dump format a restore tool can read. pg_dump's custom format starts with "PGDMP" and three bytes,
// the archive version (major, minor, revision); pg_restore refuses a version newer than its own K_VERS_MAX.

/** '1.14' from the first bytes of a custom-format dump, or undefined when they are not one. */
export function pgArchiveVersion(head: Buffer): string | undefined {
  if (head.length < 8 || head.subarray(0, 5).toString('latin1') !== 'PGDMP') return undefined;
  const [major, minor, rev] = [head[5], head[6], head[7]];
  return rev ? `${major}.${minor}.${rev}` : `${major}.${minor}`;
}

/**
 * The newest archive version a pg_restore of this major writes and reads (pg_backup_archiver.h): 1.14 since 12
 * (table access methods), 1.15 since 16 (compression algorithm), 1.16 since 17 (large-object metadata entries).
 */
export function pgRestoreReads(major: number): string {
  if (major >= 17) return '1.16';
  if (major >= 16) return '1.15';
  if (major >= 12) return '1.14';
  return '1.13';
}

/** -1, 0, 1 for dotted numbers ('1.14' < '1.15'). */
export function compareDotted(a: string, b: string): number {
  const x = a.split('.').map(Number);
  const y = b.split('.').map(Number);
  for (let i = 0; i < Math.max(x.length, y.length); i++) {
    const d = (x[i] ?? 0) - (y[i] ?? 0);
    if (d !== 0) return d < 0 ? -1 : 1;
  }
  return 0;
}
