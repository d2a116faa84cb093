export * from './errors';
export * from './safe-path';
export * from './hash-stream';
export * from './manifest';
export * from './layout';
export * from './header';
export * from './writer';
export * from './reader';
export type { ArchiveHeader, ArchiveHeaderInfo, Manifest, ManifestEntry } from './manifest-types';
