import crypto from 'crypto';
import fs from 'fs';
import os from 'os';
import path from 'path';
import S3rver from 's3rver';
import { S3Bucket } from '../../src/server/offsite/s3-bucket';

/** s3rver's fixed credentials: it checks every request's signature against them. */
export const S3_KEYS = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' };

export interface LocalS3 {
  endpoint: string;
  bucket: string;
  /** A client of our own, to look at and change the bucket behind the app's back. */
  client: S3Bucket;
  sha256(key: string): Promise<string>;
  close(): Promise<void>;
}

/** A real S3-compatible server (s3rver, files in a temp folder) on a loopback port. */
export async function startLocalS3(bucket = 'bm-offsite'): Promise<LocalS3> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bm-s3-'));
  const server = new S3rver({ port: 0, address: '127.0.0.1', silent: true, directory: dir, configureBuckets: [{ name: bucket }] });
  const { port } = (await server.run()) as { port: number };
  const endpoint = `http://127.0.0.1:${port}`;
  const client = new S3Bucket({ bucket, region: 'us-east-1', endpoint, ...S3_KEYS });
  return {
    endpoint,
    bucket,
    client,
    async sha256(key) {
      const { stream } = await client.openRead(key);
      const hash = crypto.createHash('sha256');
      for await (const chunk of stream as AsyncIterable<Buffer>) hash.update(chunk);
      return hash.digest('hex');
    },
    async close() {
      client.destroy();
      await server.close();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}
