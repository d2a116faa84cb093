import fs from 'fs';
import os from 'os';
import path from 'path';
import type { Manifest } from '../../archive/manifest-types';
import { dropAsides, swapBack, swapForward, swapRecords } from '../storage-swap';

// The swap must give the same end state however many times it is run again from the journal, whichever instant a
// crash interrupted it: forward to the staged parts, or back to the set-aside ones.

let root: string;
const storage = () => path.join(root, 'storage');
const staging = () => path.join(root, 'staging');
const write = (p: string, text: string) => {
  fs.mkdirSync(path.dirname(p), { recursive: true });
  fs.writeFileSync(p, text);
};
const read = (p: string) => (fs.existsSync(p) ? fs.readFileSync(p, 'utf8') : null);
const manifest = { parts: ['uploads', 'plugins', 'keys'] } as unknown as Manifest;

/** A live storage (uploads and a key file, no plugins folder) and a staged backup carrying all three parts. */
function setup() {
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'bm-swap-'));
  write(path.join(storage(), 'uploads', 'a.txt'), 'old upload');
  write(path.join(storage(), 'apps', 'main', 'aes_key.dat'), 'old key');
  write(path.join(staging(), 'storage', 'uploads', 'a.txt'), 'new upload');
  write(path.join(staging(), 'storage', 'plugins', 'p', 'package.json'), 'new plugin');
  write(path.join(staging(), 'keys', 'apps', 'aes_key.dat'), 'new key');
}

beforeEach(setup);
afterEach(() => fs.rmSync(root, { recursive: true, force: true }));

const state = () => ({
  upload: read(path.join(storage(), 'uploads', 'a.txt')),
  plugin: read(path.join(storage(), 'plugins', 'p', 'package.json')),
  pluginsDir: fs.existsSync(path.join(storage(), 'plugins')),
  key: read(path.join(storage(), 'apps', 'main', 'aes_key.dat')),
});
const before = { upload: 'old upload', plugin: null, pluginsDir: false, key: 'old key' };
const after = { upload: 'new upload', plugin: 'new plugin', pluginsDir: true, key: 'new key' };

it('records what existed before the first move; a key file the backup lacks is left alone', () => {
  const records = swapRecords(storage(), 'main', manifest, staging(), '7');
  expect(records.map((r) => [path.relative(storage(), r.live), r.existed, r.hasStaged])).toEqual([
    ['uploads', true, true],
    ['plugins', false, true],
    ['apps/main/aes_key.dat', true, true],
  ]);
});

it('forward, then back: the state before the restore, nothing set aside left', async () => {
  const records = swapRecords(storage(), 'main', manifest, staging(), '7');
  await swapForward(records);
  expect(state()).toEqual(after);
  await swapBack(records);
  expect(state()).toEqual(before);
  expect(fs.readdirSync(storage()).filter((n) => n.includes('.bm-old-'))).toEqual([]);
});

it.each([0, 1, 2])('interrupted after part %i: forward again completes it, back again restores the original', async (stopAt) => {
  for (const direction of ['forward', 'back'] as const) {
    fs.rmSync(root, { recursive: true, force: true });
    setup();
    const records = swapRecords(storage(), 'main', manifest, staging(), '7');
    // A crash between the two renames of part `stopAt`: the live part is aside, the staged one not moved in yet.
    await swapForward(records.slice(0, stopAt));
    const r = records[stopAt];
    if (r.existed) fs.renameSync(r.live, r.aside);
    if (direction === 'forward') {
      await swapForward(records);
      await swapForward(records); // twice: idempotent
      await dropAsides(records);
      expect(state()).toEqual(after);
    } else {
      await swapBack(records);
      await swapBack(records);
      expect(state()).toEqual(before);
    }
    expect(fs.readdirSync(storage()).filter((n) => n.includes('.bm-old-'))).toEqual([]);
  }
});

it('a folder the backup had empty becomes empty', async () => {
  fs.rmSync(path.join(staging(), 'storage', 'uploads'), { recursive: true });
  const records = swapRecords(storage(), 'main', manifest, staging(), '7');
  await swapForward(records);
  expect(fs.readdirSync(path.join(storage(), 'uploads'))).toEqual([]);
  await swapBack(records);
  expect(state()).toEqual(before);
});

it('refuses to start when an aside path is already taken: a rollback would take it for the original', async () => {
  const blocker = path.join(storage(), 'uploads.bm-old-7');
  write(path.join(blocker, 'x'), 'not ours');
  expect(() => swapRecords(storage(), 'main', manifest, staging(), '7')).toThrow(expect.objectContaining({ code: 'STORAGE_ASIDE_EXISTS' }));
  expect(state()).toEqual(before);
  expect(read(path.join(blocker, 'x'))).toBe('not ours');
});
