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

  it('refuses a shortened authentication tag (GCM would accept 4 bytes of it)', () => {
    const sealed = sealWithAppKey('pw', 'app-key-1');
    const [version, iv, tag, body] = sealed.split(':');
    for (const bytes of [4, 8, 12, 15]) {
      const short = Buffer.from(tag, 'base64').subarray(0, bytes).toString('base64');
      expect(openWithAppKey([version, iv, short, body].join(':'), 'app-key-1')).toBeNull();
    }
    const long = Buffer.concat([Buffer.from(tag, 'base64'), Buffer.alloc(1)]).toString('base64');
    expect(openWithAppKey([version, iv, long, body].join(':'), 'app-key-1')).toBeNull();
    expect(openWithAppKey(sealed, 'app-key-1')).toBe('pw');
  });

  it('refuses to seal without an APP_KEY', () => {
    expect(() => sealWithAppKey('pw', '')).toThrow(/APP_KEY/);
  });
});
