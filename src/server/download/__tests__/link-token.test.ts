import { checkLink, LINK_TTL_SECONDS, linkKey, newClaims, signLink } from '../link-token';

describe('signed download links', () => {
  const appKey = 'test-app-key-0123456789';
  const key = linkKey(appKey);
  const now = Date.UTC(2026, 11, 5, 12, 0, 0);
  const claims = newClaims('main', '42', 'backup_20261205_120000.nbbm', now);
  const sig = signLink(key, claims);

  it('expires LINK_TTL_SECONDS after issue; the key is not APP_KEY and the URL parts do not contain it', () => {
    expect(claims.expires).toBe(now / 1000 + LINK_TTL_SECONDS);
    expect(key.toString('utf8')).not.toContain(appKey);
    expect(sig).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(`${claims.expires}${claims.nonce}${sig}`).not.toContain(appKey);
    expect(newClaims('main', '42', 'x', now).nonce).not.toBe(newClaims('main', '42', 'x', now).nonce);
  });

  it('accepts the link it signed until it expires', () => {
    expect(checkLink(key, claims, sig, now)).toBe('ok');
    expect(checkLink(key, claims, sig, now + LINK_TTL_SECONDS * 1000 - 1)).toBe('ok');
    expect(checkLink(key, claims, sig, now + LINK_TTL_SECONDS * 1000)).toBe('expired');
  });

  it('refuses another task, file, app, expiry or nonce, another key, and garbage', () => {
    for (const changed of [
      { taskId: '43' },
      { fileName: 'backup_other.nbbm' },
      { app: 'sub1' },
      { expires: claims.expires + 3600 },
      { nonce: 'x' },
    ]) {
      expect(checkLink(key, { ...claims, ...changed }, sig, now)).toBe('invalid');
    }
    expect(checkLink(linkKey('another-app-key'), claims, sig, now)).toBe('invalid');
    for (const bad of ['', 'abc', sig.slice(0, -1), `${sig}A`, sig.replace(/.$/, (c) => (c === 'A' ? 'B' : 'A'))]) {
      expect(checkLink(key, claims, bad, now)).toBe('invalid');
    }
    // Field boundaries are part of the signed text: moving a character between fields breaks the signature.
    expect(checkLink(key, { ...claims, app: 'main4', taskId: '2' }, sig, now)).toBe('invalid');
  });
});
