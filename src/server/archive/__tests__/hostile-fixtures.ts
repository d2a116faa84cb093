// Shared by the hostile-archive tests (hostile-structure, hostile-content): genuine and handmade archives.
import { randomBytes } from 'crypto';
import fs from 'fs';
import fsp from 'fs/promises';
import path from 'path';
import { ARCHIVE_EXT } from '../../../constants';
import { MANIFEST_NAME } from '../manifest';
import type { Manifest, ManifestEntry } from '../manifest-types';
import { extractVerified, openEntryStream, readManifest, verifyArchive } from '../reader';
import { ArchiveWriter } from '../writer';
import { buildZip, draft, entryOf, expectCode, makeTmp, manifestFor, RawEntry } from './helpers';


let tmp = '';
/** Each test's own folder, made before and removed after it (useTmp). */
export const tmpDir = (): string => tmp;
export function useTmp(): void {
  beforeEach(async () => {
    tmp = await makeTmp();
  });
  afterEach(async () => {
    await fsp.rm(tmp, { recursive: true, force: true });
  });
}

export const dump = randomBytes(300_000);
export const fileA = Buffer.from('content of a');
export const fileB = randomBytes(5000);

/** A genuine archive made by ArchiveWriter. */
export async function goodArchive(name = 'good'): Promise<{ file: string; manifest: Manifest }> {
  const file = path.join(tmp, name + ARCHIVE_EXT);
  const w = await ArchiveWriter.create(file, { tmpDir: path.join(tmp, 'work') });
  await w.addBuffer('db/main.dump', dump);
  await w.addBuffer('storage/uploads/a.txt', fileA);
  await w.addBuffer('storage/uploads/sub/b.bin', fileB);
  await w.finish(draft());
  return { file, manifest: await readManifest(file) };
}

/** A zip built with archiver directly: data entries, then manifest.json (a Manifest, raw text, or none). */
export async function handmade(entries: RawEntry[], manifest: Manifest | string | null, name = 'hand'): Promise<string> {
  const file = path.join(tmp, name + ARCHIVE_EXT);
  const all = [...entries];
  if (manifest !== null) all.push({ name: MANIFEST_NAME, data: typeof manifest === 'string' ? manifest : JSON.stringify(manifest) });
  await buildZip(file, all);
  return file;
}

export const standardEntries = (): { raw: RawEntry[]; listed: ManifestEntry[] } => ({
  raw: [
    { name: 'db/main.dump', data: dump, stream: true },
    { name: 'storage/uploads/a.txt', data: fileA },
  ],
  listed: [entryOf('db/main.dump', dump), entryOf('storage/uploads/a.txt', fileA)],
});

/** Every read path refuses the archive with `code`, and nothing is extracted. */
export async function allRefuse(file: string, code: string, manifest?: Manifest): Promise<any> {
  const err = await expectCode(readManifest(file), code);
  await expectCode(verifyArchive(file), code);
  await expectCode(openEntryStream(file, 'db/main.dump'), code);
  const staging = path.join(tmp, 'staging-' + Math.random().toString(36).slice(2));
  const m = manifest ?? manifestFor(standardEntries().listed);
  await expectCode(extractVerified(file, m, staging), code);
  expect(fs.existsSync(staging)).toBe(false);
  return err;
}
