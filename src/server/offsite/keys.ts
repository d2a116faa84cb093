import { ARCHIVE_EXT, STORAGE_DIR } from '../../constants';

// Where an archive lives in an off-site bucket, and back. Pure.
// <storage path>/backups-manager/<app>/<archive name>: several apps (or several deployments with their own app
// names) can share one bucket without seeing each other's archives.

/** The storage's own path setting, trimmed of slashes; '..' segments and backslashes are refused. */
export function normalisePrefix(storagePath: unknown): string {
  if (storagePath === undefined || storagePath === null) return '';
  const parts = String(storagePath)
    .split('/')
    .map((p) => p.trim())
    .filter((p) => p && p !== '.');
  if (parts.some((p) => p === '..' || p.includes('\\') || p.includes('\0'))) {
    throw new Error(`unsafe storage path: ${String(storagePath)}`);
  }
  return parts.join('/');
}

function safeApp(appName: string): string {
  return appName.replace(/[^A-Za-z0-9_-]/g, '_');
}

/** The folder (with a trailing slash) that holds this app's archives in the bucket. */
export function remoteFolder(storagePath: unknown, appName: string): string {
  const prefix = normalisePrefix(storagePath);
  return `${prefix ? `${prefix}/` : ''}${STORAGE_DIR}/${safeApp(appName)}/`;
}

export function remoteKey(storagePath: unknown, appName: string, fileName: string): string {
  if (!isArchiveFileName(fileName)) throw new Error(`not an archive name: ${fileName}`);
  return remoteFolder(storagePath, appName) + fileName;
}

/** A bare archive name of ours: no folder, no hidden file, our extension. */
export function isArchiveFileName(name: string): boolean {
  return (
    typeof name === 'string' &&
    name.length > ARCHIVE_EXT.length &&
    name.length <= 255 &&
    name.endsWith(ARCHIVE_EXT) &&
    !name.startsWith('.') &&
    !/[\\/\0]/.test(name)
  );
}

/** The archive name of a listed key directly in our folder; anything else in the bucket is not ours. */
export function archiveNameOfKey(key: string, folder: string): string | null {
  if (!key.startsWith(folder)) return null;
  const rest = key.slice(folder.length);
  return isArchiveFileName(rest) ? rest : null;
}
