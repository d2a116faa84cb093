import { createSecretKey, KeyObject, randomBytes } from 'crypto';
import { Readable, Transform } from 'stream';
import { TAG_BYTES } from '../constants';

export const key = (): KeyObject => createSecretKey(randomBytes(32));

/** Everything `stream` outputs for `input`, fed in pieces of `piece` bytes (to cross chunk boundaries oddly). */
export async function run(stream: Transform, input: Buffer, piece = 7919): Promise<Buffer> {
  const pieces: Buffer[] = [];
  for (let i = 0; i < input.length; i += piece) pieces.push(input.subarray(i, i + piece));
  const out: Buffer[] = [];
  for await (const chunk of Readable.from(pieces).pipe(stream)) out.push(chunk as Buffer);
  return Buffer.concat(out);
}

/** Splits an encrypted stream into its records (ciphertext + tag), the last one possibly shorter. */
export function records(sealed: Buffer, chunkSize: number): Buffer[] {
  const size = chunkSize + TAG_BYTES;
  const out: Buffer[] = [];
  for (let i = 0; i < sealed.length; i += size) out.push(sealed.subarray(i, i + size));
  return out;
}

export async function rejection(p: Promise<unknown>): Promise<Error & Record<string, unknown>> {
  try {
    await p;
  } catch (err) {
    return err as Error & Record<string, unknown>;
  }
  throw new Error('expected a rejection, but it resolved');
}
