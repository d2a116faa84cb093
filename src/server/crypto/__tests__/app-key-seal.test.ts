import { openWithAppKey, sealWithAppKey } from '../app-key-seal';

describe('schedule password sealed with APP_KEY', () => {
  it('round-trips, never contains the plain text, and differs every time', () => {
    const a = sealWithAppKey('s3cret-密码', 'app-key-1');
    const b = sealWithAppKey('s3cret-密码', 'app-key-1');
    expect(a).not.toEqual(b);
    expect(a).not.toContain('s3cret');
    expect(openWithAppKey(a, 'app-key-1')).toBe('s3cret-密码');
  });

  it('cannot be opened with another APP_KEY or after tampering', () => {
    const sealed = sealWithAppKey('pw', 'app-key-1');
    expect(openWithAppKey(sealed, 'app-key-2')).toBeNull();
    const parts = sealed.split(':');
    const body = Buffer.from(parts[3], 'base64');
    body[0] ^= 1;
    expect(openWithAppKey([parts[0], parts[1], parts[2], body.toString('base64')].join(':'), 'app-key-1')).toBeNull();
    expect(openWithAppKey('garbage', 'app-key-1')).toBeNull();
  });

  it('refuses to seal without an APP_KEY', () => {
    expect(() => sealWithAppKey('pw', '')).toThrow(/APP_KEY/);
  });
});
