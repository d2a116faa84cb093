import crypto from 'crypto';

/**
 * Signed download links: a browser opens them directly (no Authorization header is possible), so the URL carries
 * proof that an admin asked for this one file a moment ago. The HMAC covers the app, the task, the archive's file
 * name, the expiry and a nonce; its key is derived from APP_KEY, which itself never leaves the server.
 */
export const LINK_TTL_SECONDS = 60;

export interface LinkClaims {
  app: string;
  taskId: string;
  fileName: string;
  /** Unix seconds. */
  expires: number;
  nonce: string;
}

export type LinkCheck = 'ok' | 'expired' | 'invalid';

/** A key for links only: knowing a link (or many) tells nothing about APP_KEY or the app's other secrets. */
export function linkKey(appKey: string): Buffer {
  return Buffer.from(crypto.hkdfSync('sha256', appKey, 'nbkit-backups-manager', 'download-link-v1', 32));
}

export function newClaims(app: string, taskId: string, fileName: string, nowMs = Date.now()): LinkClaims {
  return { app, taskId, fileName, expires: Math.floor(nowMs / 1000) + LINK_TTL_SECONDS, nonce: crypto.randomBytes(12).toString('base64url') };
}

export function signLink(key: Buffer, c: LinkClaims): string {
  // Length-prefixed fields: no two different claim sets can produce the same signed text.
  const text = [c.app, c.taskId, c.fileName, String(c.expires), c.nonce].map((v) => `${v.length}:${v}`).join('|');
  return crypto.createHmac('sha256', key).update(text).digest('base64url');
}

/** Forged, altered or for another file: 'invalid'; genuine but past its expiry: 'expired'. */
export function checkLink(key: Buffer, c: LinkClaims, signature: string, nowMs = Date.now()): LinkCheck {
  const expected = Buffer.from(signLink(key, c));
  const given = Buffer.from(String(signature));
  if (given.length !== expected.length || !crypto.timingSafeEqual(given, expected)) return 'invalid';
  return nowMs >= c.expires * 1000 ? 'expired' : 'ok';
}
