import fs from 'fs';
import fsp from 'fs/promises';
import path from 'path';
import { PerformanceObserver, constants } from 'perf_hooks';
import { ARCHIVE_EXT } from '../../../constants';
import { extractVerified, readHeaderAndManifest } from '../reader';
import { ArchiveWriter } from '../writer';
import { draft, makeTmp } from './helpers';

// What a restore allocates per file decides how often the young generation is collected, and whatever is in flight
// at each collection (the file maker's batch) is promoted into the old generation: in a NocoBase server with 300 MB
// live, that garbage stayed until its next full collection, and the server's RSS grew with the file count (+267 MB
// at 500,000 files). path.resolve / path.relative / path.join per file were about 10 KB of short strings each.
// Counted here as young-generation collections while 20,000 files are extracted under a real-length root.

const FILES = 20_000;
let tmp: string;
let archive: string;
let root: string;

beforeAll(async () => {
  tmp = await makeTmp();
  // A staging folder as deep as a real one: <app>/storage/backups-manager/tmp/restore-<task id>.
  root = path.join(tmp, 'nocobase-app', 'storage', 'backups-manager', 'tmp');
  const uploads = path.join(tmp, 'uploads');
  for (let d = 0; d < 40; d++) {
    const dir = path.join(uploads, 'attachments', `folder-${String(d).padStart(4, '0')}`);
    fs.mkdirSync(dir, { recursive: true });
    for (let f = 0; f < FILES / 40; f++) fs.writeFileSync(path.join(dir, `upload-${d}-${f}-a1b2c3d4e5f6.png`), `file ${d} ${f}`);
  }
  archive = path.join(tmp, 'many' + ARCHIVE_EXT);
  const w = await ArchiveWriter.create(archive, { tmpDir: tmp });
  await w.addDirectory('storage/uploads', uploads);
  await w.finish(draft({ parts: ['uploads'] }));
}, 120_000);

afterAll(async () => {
  await fsp.rm(tmp, { recursive: true, force: true });
});

async function minorCollectionsWhile(work: () => Promise<unknown>): Promise<number> {
  let minor = 0;
  const obs = new PerformanceObserver((list) => {
    for (const e of list.getEntries()) {
      const kind = (e as unknown as { detail?: { kind?: number } }).detail?.kind;
      if (kind === constants.NODE_PERFORMANCE_GC_MINOR) minor++;
    }
  });
  obs.observe({ entryTypes: ['gc'] });
  await work();
  // GC entries are delivered after the fact.
  await new Promise((r) => setTimeout(r, 50));
  obs.disconnect();
  return minor;
}

describe('extraction of many small files', () => {
  it('allocates little per file (few young-generation collections)', async () => {
    const { manifest } = await readHeaderAndManifest(archive, { packEntries: true });
    expect(manifest.entries.length).toBe(FILES);
    // Warm up: modules, the worker thread, first compilations.
    await extractVerified(archive, manifest, path.join(root, 'restore-warm'));
    const staging = path.join(root, 'restore-1733570000000');
    const minor = await minorCollectionsWhile(() => extractVerified(archive, manifest, staging));
    // eslint-disable-next-line no-console
    console.log(`extracting ${FILES} files: ${minor} young-generation collections`);
    expect(fs.readdirSync(path.join(staging, 'storage', 'uploads', 'attachments')).length).toBe(40);
    // Measured here: 24 collections before (path.resolve/relative/join and a promise or two per file), 7 or 8 now.
    expect(minor).toBeLessThanOrEqual(14);
  }, 120_000);
});
