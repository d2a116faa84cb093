import crypto from 'crypto';

const VERSION = 'v1';
/** GCM accepts tags down to 4 bytes unless told otherwise: only the full 16 bytes we write authenticate. */
const TAG_BYTES = 16;

/**
 * The schedule's backup password at rest: AES-256-GCM under a key derived (HKDF-SHA256) from the app's APP_KEY,
 * so the database alone (or a backup of it) does not reveal it. A different APP_KEY cannot open it.
 */
function keyFrom(appKey: string): Buffer {
  if (!appKey) throw new Error('APP_KEY is not set: the backup password cannot be stored');
  return Buffer.from(crypto.hkdfSync('sha256', Buffer.from(appKey), 'backups-manager', 'schedule-password', 32));
}

export function sealWithAppKey(plain: string, appKey: string): string {
  const iv = crypto.randomBytes(12);
  const cipher = crypto.createCipheriv('aes-256-gcm', keyFrom(appKey), iv);
  const body = Buffer.concat([cipher.update(plain, 'utf8'), cipher.final()]);
  return [VERSION, iv.toString('base64'), cipher.getAuthTag().toString('base64'), body.toString('base64')].join(':');
}

/** Null when it cannot be opened (another APP_KEY, damage): the caller asks the admin to enter it again. */
export function openWithAppKey(sealed: string, appKey: string): string | null {
  const [version, iv, tag, body] = String(sealed).split(':');
  if (version !== VERSION || !iv || !tag || body === undefined) return null;
  const tagBytes = Buffer.from(tag, 'base64');
  if (tagBytes.length !== TAG_BYTES) return null;
  try {
    const decipher = crypto.createDecipheriv('aes-256-gcm', keyFrom(appKey), Buffer.from(iv, 'base64'), {
      authTagLength: TAG_BYTES,
    });
    decipher.setAuthTag(tagBytes);
    return Buffer.concat([decipher.update(Buffer.from(body, 'base64')), decipher.final()]).toString('utf8');
  } catch {
    return null;
  }
}
