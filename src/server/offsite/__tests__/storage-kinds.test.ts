import { isConnectionError, partSizeFor, SINGLE_PUT_LIMIT } from '../s3-bucket';
import { describeStorage, s3ConfigOf } from '../storage-kinds';

describe('storage kinds', () => {
  it('accepts S3 storages with a bucket; says why others cannot hold off-site copies', () => {
    const s3 = { name: 's3', title: 'S3', type: 's3', options: { bucket: 'b', secretAccessKey: 'SECRET' } };
    expect(describeStorage(s3)).toEqual({ name: 's3', title: 'S3', type: 's3', supported: true });
    expect(describeStorage({ ...s3, options: {} })).toMatchObject({ supported: false, reason: 'OFFSITE_NO_BUCKET' });
    expect(describeStorage({ name: 'local', type: 'local' })).toMatchObject({ supported: false, reason: 'OFFSITE_LOCAL_STORAGE', title: 'local' });
    expect(describeStorage({ name: 'oss', type: 'ali-oss' })).toMatchObject({ supported: false, reason: 'OFFSITE_TYPE_UNSUPPORTED' });
    // What the storage list answers never carries the storage's options.
    expect(JSON.stringify(describeStorage(s3))).not.toContain('SECRET');
  });

  it('reads the client settings, defaulting the region and dropping blank values', () => {
    expect(
      s3ConfigOf({ name: 's', type: 's3', options: { bucket: 'b', endpoint: ' http://127.0.0.1:9000 ', accessKeyId: '', secretAccessKey: 'k' } }),
    ).toEqual({ bucket: 'b', region: 'us-east-1', endpoint: 'http://127.0.0.1:9000', accessKeyId: undefined, secretAccessKey: 'k' });
  });

  it('sizes multipart parts to stay within 10,000 parts, 16 MiB at least', () => {
    const MiB = 1024 * 1024;
    expect(SINGLE_PUT_LIMIT).toBe(64 * MiB);
    expect(partSizeFor(100 * MiB)).toBe(16 * MiB);
    const big = 500 * 1024 * MiB;
    expect(Math.ceil(big / partSizeFor(big))).toBeLessThanOrEqual(10000);
  });
});

describe('connection errors', () => {
  it('tells a dropped connection (the service refused before reading the body) from the service answering', () => {
    expect(isConnectionError(Object.assign(new Error('write EPIPE'), { code: 'EPIPE' }))).toBe(true);
    expect(isConnectionError(Object.assign(new Error('write EPIPE'), { name: 'TimeoutError' }))).toBe(true);
    expect(isConnectionError(new Error('socket hang up'))).toBe(true);
    expect(isConnectionError(Object.assign(new Error('The AWS Access Key Id you provided does not exist'), { name: 'InvalidAccessKeyId' }))).toBe(false);
  });
});
