import type { StorageChoice } from '../../choices';

export type { StorageChoice };

// Which of NocoBase's file-manager storages can hold off-site copies. Pure: it judges a storage row's type and
// options, never reads or returns a secret.

export interface StorageRow {
  name: string;
  title?: string;
  type: string;
  path?: string | null;
  options?: Record<string, unknown> | null;
}

/**
 * Only the S3 type for now: AWS S3 and every S3-compatible service (MinIO, Ceph, Cloudflare R2, Alibaba OSS and
 * Tencent COS through their S3 endpoints) configured as "Amazon S3" with an endpoint. A 'local' storage writes
 * under storage/, which a backup itself carries, so it is no off-site copy.
 */
export function describeStorage(row: StorageRow): StorageChoice {
  const base = { name: row.name, title: row.title || row.name, type: row.type };
  if (row.type === 's3') {
    const options = row.options || {};
    if (!options.bucket) return { ...base, supported: false, reason: 'OFFSITE_NO_BUCKET' };
    return { ...base, supported: true };
  }
  if (row.type === 'local') return { ...base, supported: false, reason: 'OFFSITE_LOCAL_STORAGE' };
  return { ...base, supported: false, reason: 'OFFSITE_TYPE_UNSUPPORTED' };
}

/** The S3 client settings of a storage row; the secret stays in this object, which nothing logs or answers. */
export function s3ConfigOf(row: StorageRow): S3Config {
  const o = (row.options || {}) as Record<string, unknown>;
  const str = (v: unknown) => (typeof v === 'string' && v.trim() ? v.trim() : undefined);
  return {
    bucket: String(o.bucket || ''),
    region: str(o.region) || 'us-east-1',
    endpoint: str(o.endpoint),
    accessKeyId: str(o.accessKeyId),
    secretAccessKey: str(o.secretAccessKey),
  };
}

export interface S3Config {
  bucket: string;
  region: string;
  endpoint?: string;
  accessKeyId?: string;
  secretAccessKey?: string;
}
