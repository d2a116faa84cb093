import fsp from 'fs/promises';
import path from 'path';
import * as unzipper from 'unzipper';
import { ARCHIVE_EXT } from '../../../constants';
import type { CipherTuning } from '../../crypto';
import type { Manifest } from '../manifest-types';
import { ArchiveWriter } from '../writer';
import { buildZip, draft, RawEntry } from './helpers';
import { readManifest } from '../reader';

export const PASSWORD = 'correct horse battery staple';

/**
 * Cheap key derivation and 1 KiB chunks, so that hostile tests run fast and every entry of a few kB spans several
 * chunks. The reader takes whatever parameters the archive names (within its limits).
 */
export const CHEAP: CipherTuning = { scrypt: { N: 2 ** 10, r: 8, p: 1 }, chunkSize: 1024 };

/** The stored entries of a zip in central-directory order, raw (ciphertext for encrypted entries). */
export async function zipEntries(file: string): Promise<{ name: string; data: Buffer }[]> {
  const dir = await unzipper.Open.file(file);
  const out: { name: string; data: Buffer }[] = [];
  for (const f of dir.files) out.push({ name: f.path, data: await f.buffer() });
  return out;
}

/** Rebuilds `file` from its entries after `edit` (archiver writes fresh CRCs, so only our own checks can notice). */
export async function rezip(
  file: string,
  edit: (entries: { name: string; data: Buffer }[]) => RawEntry[],
): Promise<void> {
  const entries = edit(await zipEntries(file));
  await fsp.rm(file);
  await buildZip(file, entries);
}

/** Edits the JSON of encryption.json in place (through rezip). */
export async function editEncryptionJson(
  file: string,
  edit: (json: Record<string, unknown> & { header: Record<string, unknown>; kdf: Record<string, unknown> }) => void,
): Promise<void> {
  await rezip(file, (entries) =>
    entries.map((e) => {
      if (e.name !== 'encryption.json') return e;
      const json = JSON.parse(e.data.toString('utf8'));
      edit(json);
      return { name: e.name, data: JSON.stringify(json) };
    }),
  );
}

export interface Contents {
  [entryPath: string]: Buffer;
}

/** An encrypted archive holding `contents` (buffers, in order), with CHEAP parameters unless told otherwise. */
export async function encryptedArchive(
  dir: string,
  name: string,
  contents: Contents,
  opts: { password?: string; tuning?: CipherTuning; parts?: string[] } = {},
): Promise<{ file: string; manifest: Manifest }> {
  const file = path.join(dir, name + ARCHIVE_EXT);
  const w = await ArchiveWriter.create(file, {
    tmpDir: path.join(dir, 'work'),
    password: opts.password ?? PASSWORD,
    cipherTuning: opts.tuning ?? CHEAP,
  });
  for (const [p, data] of Object.entries(contents)) await w.addBuffer(p, data);
  await w.finish(draft({ parts: opts.parts ?? ['database', 'uploads', 'keys'] }));
  return { file, manifest: await readManifest(file, { password: opts.password ?? PASSWORD }) };
}
