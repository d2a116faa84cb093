export * from './constants';
export * from './chunk';
export * from './params';
export * from './keyring';
export { EncryptStream } from './encrypt-stream';
export { ChunkSealer, sealAll } from './chunk-sealer';
export { DecryptStream } from './decrypt-stream';
