import { ChunkSealer, encryptedSize } from '../crypto';
import type { Sealer } from './entry-writer';
import { encryptionInfoBytes } from './encryption-info';
import { headerOf } from './header';
import { ENCRYPTION_NAME, MANIFEST_ENC_NAME, MANIFEST_NAME, SIGNATURE_NAME } from './layout';
import { manifestJsonFrame } from './manifest-pieces';
import type { Manifest } from './manifest-types';
import { SignatureMac } from './provenance';
import type { Spill } from './spill';
import type { ZipOut } from './zip-out';

/**
 * Writes the entries that close an archive, in order: manifest.json; or, encrypted, manifest.json.enc then
 * encryption.json (the plain header); then manifest.sig when a signing key is given. The signature covers the bytes as
 * stored, so it can be checked without the password.
 *
 * manifest.json is the same JSON as JSON.stringify({ ...head, entries }) with the entries last; their JSON comes from
 * `entries` (each entry's JSON, comma-separated, as the archive writer recorded them) and is streamed: it is never
 * whole in memory (about 75 MB for 500,000 files), and the event loop turns between pieces.
 */
export async function writeMetadata(
  zip: ZipOut,
  head: Omit<Manifest, 'entries'>,
  entries: Spill,
  sealer: Sealer | null,
  signingKey: Buffer | null,
): Promise<void> {
  const { open, close } = manifestJsonFrame(head);
  const prefix = Buffer.from(open, 'utf8');
  const suffix = Buffer.from(close, 'utf8');
  const plainLength = prefix.length + entries.size + suffix.length;
  const mac = signingKey ? new SignatureMac(signingKey) : null;

  // The plaintext in pieces; `copy` when the consumer keeps them (the spill reuses its read buffer).
  async function* manifestPieces(copy: boolean): AsyncGenerator<Buffer> {
    yield prefix;
    for await (const piece of entries.read()) yield copy ? Buffer.from(piece) : piece;
    yield suffix;
  }

  if (sealer) {
    // The signed list names encryption.json first (docs/format.md), whatever the order in the ZIP.
    const info = encryptionInfoBytes(sealer.params, headerOf(head as Manifest));
    mac?.part(ENCRYPTION_NAME, info.length);
    mac?.update(info);
    const { chunkSize } = sealer.params;
    const sealedLength = encryptedSize(plainLength, chunkSize);
    mac?.part(MANIFEST_ENC_NAME, sealedLength);
    const chunks = new ChunkSealer(sealer.keyring.entryKey(MANIFEST_ENC_NAME), MANIFEST_ENC_NAME, chunkSize);
    const out = await zip.beginStreamed(MANIFEST_ENC_NAME);
    let written = 0;
    const put = async (records: Buffer[]) => {
      for (const r of records) {
        mac?.update(r);
        written += r.length;
        await out.data(r);
      }
    };
    for await (const piece of manifestPieces(true)) await put(chunks.push(piece));
    await put(chunks.end());
    if (written !== sealedLength) throw new Error(`sealed manifest is ${written} bytes, expected ${sealedLength}`);
    await out.end();
    await zip.addKnown(ENCRYPTION_NAME, [info]);
  } else {
    mac?.part(MANIFEST_NAME, plainLength);
    const out = await zip.beginStreamed(MANIFEST_NAME);
    // Each piece is used (hashed, copied into the ZIP's staging buffer) before the next is read.
    for await (const piece of manifestPieces(false)) {
      mac?.update(piece);
      await out.data(piece);
    }
    await out.end();
  }
  if (mac) await zip.addKnown(SIGNATURE_NAME, [mac.signature()]);
}
