import fs from 'fs';
import type { Readable } from 'stream';
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
  UploadPartCommand,
} from '@aws-sdk/client-s3';
import type { S3Config } from './storage-kinds';

/** One object as listed. */
export interface RemoteObject {
  key: string;
  size: number;
  lastModified?: Date;
}

const MiB = 1024 * 1024;
/** Below this, one PUT; above, a multipart upload (S3 refuses a single PUT over 5 GiB). */
export const SINGLE_PUT_LIMIT = 64 * MiB;
const MAX_PARTS = 10000;

/** Part size for a multipart upload: at least 16 MiB, and large enough to stay within S3's 10,000 parts. */
export function partSizeFor(size: number): number {
  return Math.max(16 * MiB, Math.ceil(size / MAX_PARTS / MiB) * MiB);
}

/**
 * A bucket of an S3-compatible service. Every body is a file stream (upload) or the response stream (download):
 * no part is held in memory, so the server's memory does not grow with the archive.
 */
export class S3Bucket {
  private client: S3Client;

  constructor(private config: S3Config) {
    this.client = new S3Client({
      region: config.region,
      endpoint: config.endpoint,
      // Custom endpoints (MinIO, s3rver...) rarely resolve bucket subdomains.
      forcePathStyle: !!config.endpoint,
      credentials:
        config.accessKeyId && config.secretAccessKey
          ? { accessKeyId: config.accessKeyId, secretAccessKey: config.secretAccessKey }
          : undefined,
      // Many S3-compatible servers do not understand the SDK's newer default checksums of streamed bodies.
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
      maxAttempts: 3,
    });
  }

  get bucket(): string {
    return this.config.bucket;
  }

  /** Uploads a local file as a private object; answers the stored size. */
  async upload(file: string, key: string, onProgress?: (sent: number, total: number) => void): Promise<number> {
    try {
      return await this.uploadFile(file, key, onProgress);
    } catch (err) {
      throw await this.explain(err);
    }
  }

  /**
   * A service that refuses a request (wrong key, no such bucket) often answers before reading the body and closes
   * the connection: the streamed upload then only sees EPIPE or a reset. A request without a body gets the
   * service's own answer, which is what the admin needs to read.
   */
  private async explain(err: unknown): Promise<unknown> {
    if (!isConnectionError(err)) return err;
    try {
      await this.client.send(new ListObjectsV2Command({ Bucket: this.bucket, MaxKeys: 1 }));
    } catch (probe) {
      if (!isConnectionError(probe)) return probe;
    }
    return err;
  }

  private async uploadFile(file: string, key: string, onProgress?: (sent: number, total: number) => void): Promise<number> {
    const { size } = await fs.promises.stat(file);
    if (size <= SINGLE_PUT_LIMIT) {
      await this.client.send(
        new PutObjectCommand({
          Bucket: this.bucket,
          Key: key,
          Body: fs.createReadStream(file),
          ContentLength: size,
          ContentType: 'application/octet-stream',
        }),
      );
      onProgress?.(size, size);
    } else {
      await this.multipart(file, key, size, onProgress);
    }
    const stored = await this.head(key);
    if (stored === null || stored !== size) {
      throw new Error(`the stored copy has ${stored ?? 'no'} bytes, the archive ${size}`);
    }
    return size;
  }

  private async multipart(file: string, key: string, size: number, onProgress?: (sent: number, total: number) => void) {
    const partSize = partSizeFor(size);
    const created = await this.client.send(
      new CreateMultipartUploadCommand({ Bucket: this.bucket, Key: key, ContentType: 'application/octet-stream' }),
    );
    const uploadId = created.UploadId as string;
    try {
      const parts: { ETag?: string; PartNumber: number }[] = [];
      for (let start = 0, n = 1; start < size; start += partSize, n++) {
        const end = Math.min(size, start + partSize);
        const res = await this.client.send(
          new UploadPartCommand({
            Bucket: this.bucket,
            Key: key,
            UploadId: uploadId,
            PartNumber: n,
            // A fresh stream of just this range: each part goes from disk to socket.
            Body: fs.createReadStream(file, { start, end: end - 1 }),
            ContentLength: end - start,
          }),
        );
        parts.push({ ETag: res.ETag, PartNumber: n });
        onProgress?.(end, size);
      }
      await this.client.send(
        new CompleteMultipartUploadCommand({
          Bucket: this.bucket,
          Key: key,
          UploadId: uploadId,
          MultipartUpload: { Parts: parts },
        }),
      );
    } catch (err) {
      await this.client
        .send(new AbortMultipartUploadCommand({ Bucket: this.bucket, Key: key, UploadId: uploadId }))
        .catch(() => undefined);
      throw err;
    }
  }

  /** Size of an object, or null when there is none. */
  async head(key: string): Promise<number | null> {
    try {
      const res = await this.client.send(new HeadObjectCommand({ Bucket: this.bucket, Key: key }));
      return Number(res.ContentLength ?? 0);
    } catch (err) {
      if (isMissing(err)) return null;
      throw err;
    }
  }

  async openRead(key: string): Promise<{ stream: Readable; size: number }> {
    const res = await this.client.send(new GetObjectCommand({ Bucket: this.bucket, Key: key }));
    return { stream: res.Body as Readable, size: Number(res.ContentLength ?? 0) };
  }

  async list(prefix: string): Promise<RemoteObject[]> {
    const out: RemoteObject[] = [];
    let token: string | undefined;
    do {
      const res = await this.client.send(
        new ListObjectsV2Command({ Bucket: this.bucket, Prefix: prefix, ContinuationToken: token }),
      );
      for (const o of res.Contents || []) {
        if (o.Key) out.push({ key: o.Key, size: Number(o.Size ?? 0), lastModified: o.LastModified });
      }
      token = res.IsTruncated ? res.NextContinuationToken : undefined;
    } while (token);
    return out;
  }

  /** Deleting what is already gone is fine (S3 answers 204 either way). */
  async remove(key: string): Promise<void> {
    await this.client.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: key }));
  }

  destroy(): void {
    this.client.destroy();
  }
}

export function isConnectionError(err: unknown): boolean {
  const e = err as { code?: string; name?: string; message?: string };
  return (
    ['EPIPE', 'ECONNRESET', 'ECONNREFUSED', 'ETIMEDOUT'].includes(String(e?.code)) ||
    e?.name === 'TimeoutError' ||
    /\b(EPIPE|ECONNRESET|socket hang up)\b/.test(String(e?.message))
  );
}

function isMissing(err: unknown): boolean {
  const e = err as { name?: string; $metadata?: { httpStatusCode?: number } };
  return ['NotFound', 'NoSuchKey', 'NoSuchBucket'].includes(String(e?.name)) || e?.$metadata?.httpStatusCode === 404;
}
