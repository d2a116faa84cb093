import { CHECK_BYTES, CIPHER, DEFAULT_SCRYPT } from '../constants';
import { CipherParams, CipherParamsError, parseCipherParams } from '../params';

const good = (): CipherParams => ({
  cipher: CIPHER,
  kdf: { name: 'scrypt', ...DEFAULT_SCRYPT, salt: Buffer.alloc(16, 7).toString('base64') },
  chunkSize: 65536,
  check: Buffer.alloc(CHECK_BYTES, 1).toString('base64'),
});

function problem(mutate: (p: Record<string, unknown> & { kdf: Record<string, unknown> }) => void): {
  problem: string;
  reason: string;
} {
  const p = JSON.parse(JSON.stringify(good()));
  mutate(p);
  try {
    parseCipherParams(p);
  } catch (err) {
    expect(err).toBeInstanceOf(CipherParamsError);
    return { problem: (err as CipherParamsError).problem, reason: (err as CipherParamsError).reason };
  }
  throw new Error('accepted');
}

describe('parseCipherParams', () => {
  it('accepts what the writer makes and keeps only known fields', () => {
    expect(parseCipherParams({ ...good(), extra: 1 } as unknown as Record<string, unknown>)).toEqual(good());
  });

  it.each([
    ['another cipher', (p: Record<string, unknown>) => (p.cipher = 'chacha20-poly1305-chunked'), 'unsupported'],
    ['another kdf', (p: { kdf: Record<string, unknown> }) => (p.kdf.name = 'argon2id'), 'unsupported'],
    ['N = 2^30 (would need 1 TiB)', (p: { kdf: Record<string, unknown> }) => (p.kdf.N = 2 ** 30), 'unsupported'],
    ['r = 1024', (p: { kdf: Record<string, unknown> }) => (p.kdf.r = 1024), 'unsupported'],
    ['p = 1000', (p: { kdf: Record<string, unknown> }) => (p.kdf.p = 1000), 'unsupported'],
    ['N = 2^8 (too weak)', (p: { kdf: Record<string, unknown> }) => (p.kdf.N = 2 ** 8), 'unsupported'],
    [
      'an 8-byte salt',
      (p: { kdf: Record<string, unknown> }) => (p.kdf.salt = Buffer.alloc(8).toString('base64')),
      'unsupported',
    ],
    ['a 1 GiB chunk size', (p: Record<string, unknown>) => (p.chunkSize = 2 ** 30), 'unsupported'],
    ['a 16-byte chunk size', (p: Record<string, unknown>) => (p.chunkSize = 16), 'unsupported'],
    ['N not a power of two', (p: { kdf: Record<string, unknown> }) => (p.kdf.N = 65535), 'invalid'],
    ['N a string', (p: { kdf: Record<string, unknown> }) => (p.kdf.N = '65536'), 'invalid'],
    ['no kdf', (p: Record<string, unknown>) => delete p.kdf, 'invalid'],
    ['salt not base64', (p: { kdf: Record<string, unknown> }) => (p.kdf.salt = 'not base64!!'), 'invalid'],
    ['check too short', (p: Record<string, unknown>) => (p.check = Buffer.alloc(16).toString('base64')), 'invalid'],
    ['chunkSize a float', (p: Record<string, unknown>) => (p.chunkSize = 1024.5), 'invalid'],
  ])('%s: %s', (_what, mutate, expected) => {
    expect(problem(mutate as (p: Record<string, unknown> & { kdf: Record<string, unknown> }) => void).problem).toBe(
      expected,
    );
  });
});
