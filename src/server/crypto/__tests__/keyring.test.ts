import { CIPHER, DEFAULT_CHUNK_SIZE, DEFAULT_SCRYPT, SALT_BYTES } from '../constants';
import { createCipherParams, Keyring, unlockCipherParams } from '../keyring';
import { parseCipherParams } from '../params';

const cheap = { scrypt: { N: 2 ** 10, r: 8, p: 1 } };

describe('key derivation and the password check', () => {
  it('new archives use scrypt N=2^17 r=8 p=1, a fresh 16-byte salt and 64 KiB chunks (derivation time is logged, not bounded)', async () => {
    const t = Date.now();
    const a = await createCipherParams('correct horse battery staple');
    const ms = Date.now() - t;
    // eslint-disable-next-line no-console
    console.log(`scrypt N=2^17 r=8 p=1: ${ms} ms`);
    const b = await createCipherParams('correct horse battery staple', cheap);
    expect(DEFAULT_SCRYPT).toEqual({ N: 2 ** 17, r: 8, p: 1 });
    expect(a.params).toMatchObject({
      cipher: CIPHER,
      kdf: { name: 'scrypt', N: 2 ** 17, r: 8, p: 1 },
      chunkSize: DEFAULT_CHUNK_SIZE,
    });
    expect(Buffer.from(a.params.kdf.salt, 'base64')).toHaveLength(SALT_BYTES);
    expect(a.params.kdf.salt).not.toBe(b.params.kdf.salt);
    expect(parseCipherParams({ ...a.params })).toEqual(a.params);
  });

  it('archives made with N=2^16 (before N=2^17) still open: N comes from their own parameters', async () => {
    const { params } = await createCipherParams('older', { scrypt: { N: 2 ** 16, r: 8, p: 1 } });
    const read = parseCipherParams(JSON.parse(JSON.stringify(params)));
    expect(read.kdf.N).toBe(2 ** 16);
    expect(await unlockCipherParams(read, 'older')).toBeInstanceOf(Keyring);
    expect(await unlockCipherParams(read, 'newer')).toBeNull();
  });

  it('the right password unlocks, a wrong one does not', async () => {
    const { params } = await createCipherParams('s3cret', cheap);
    expect(await unlockCipherParams(params, 's3cret')).toBeInstanceOf(Keyring);
    expect(await unlockCipherParams(params, 's3cret ')).toBeNull();
    expect(await unlockCipherParams(params, 'S3cret')).toBeNull();
  });

  it('a password is compared after Unicode NFC normalisation', async () => {
    const composed = 'caf\u00e9-пароль';
    const decomposed = 'cafe\u0301-пароль';
    const { params } = await createCipherParams(composed, cheap);
    expect(await unlockCipherParams(params, decomposed)).not.toBeNull();
  });

  it('the check fails under another salt (another archive) with the same password', async () => {
    const a = await createCipherParams('same', cheap);
    const b = await createCipherParams('same', cheap);
    expect(await unlockCipherParams({ ...a.params, check: b.params.check }, 'same')).toBeNull();
  });

  it('entry keys differ per entry id and per archive', async () => {
    const a = await createCipherParams('pw', cheap);
    const b = await createCipherParams('pw', cheap);
    const exp = (k: Keyring, id: string) => k.entryKey(id).export().toString('hex');
    expect(exp(a.keyring, 'e/000001')).not.toBe(exp(a.keyring, 'e/000002'));
    expect(exp(a.keyring, 'e/000001')).not.toBe(exp(b.keyring, 'e/000001'));
    expect(exp(a.keyring, 'e/000001')).toBe(exp((await unlockCipherParams(a.params, 'pw'))!, 'e/000001'));
  });
});
