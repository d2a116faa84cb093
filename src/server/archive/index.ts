export * from './errors';
export * from './safe-path';
export * from './hash-stream';
export * from './manifest';
export * from './writer';
export * from './reader';
export type { Manifest, ManifestEntry } from './manifest-types';
