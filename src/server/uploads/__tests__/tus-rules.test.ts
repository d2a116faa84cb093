import fs from 'fs';
import os from 'os';
import path from 'path';
import { checkNewUpload, expiredTusIds, parseTusId, TUS_EXPIRY_MS, uploadIdOf } from '../tus-rules';
import { sweepTusUploads } from '../tus-sweep';

const HEX = 'a'.repeat(32);
const LIMIT = 1000;

describe('tus ids', () => {
  it('accepts only tus-<32 hex>, and maps it to the restore action uploadId', () => {
    expect(parseTusId(`tus-${HEX}`)).toBe(`tus-${HEX}`);
    for (const bad of [HEX, `tus-${HEX}.json`, `tus-${HEX.slice(1)}`, `tus-${'A'.repeat(32)}`, `../tus-${HEX}`, 'backupsManagerUploads:tus', undefined, 42]) {
      expect(parseTusId(bad)).toBeNull();
    }
    expect(uploadIdOf(`tus-${HEX}`)).toBe(HEX);
  });
});

describe('checkNewUpload', () => {
  const ok = (fileName: unknown, ...size: (number | undefined)[]) => checkNewUpload({ fileName, size: size.length ? size[0] : 10 }, LIMIT);
  it('accepts an ordinary archive name, or none', () => {
    expect(ok('main_20261205-101010-123.nbbm')).toBeNull();
    expect(ok('备份 2026.nbbm')).toBeNull();
    expect(ok(undefined)).toBeNull();
    expect(ok('x'.repeat(255))).toBeNull();
  });
  it('refuses names that look like paths, control characters, empty or over 255 characters', () => {
    for (const name of ['../x.nbbm', 'a/b.nbbm', 'a\\b.nbbm', '..', '.', '', 'a\0b', 'a\nb', 'x'.repeat(256), 5]) {
      expect(ok(name)).toEqual({ code: 'UPLOAD_NAME_INVALID', status: 400 });
    }
  });
  it('needs a length: not deferred, not empty, within the limit', () => {
    expect(ok('a.nbbm', undefined)?.code).toBe('UPLOAD_LENGTH_REQUIRED');
    expect(ok('a.nbbm', 0)?.code).toBe('UPLOAD_EMPTY');
    expect(ok('a.nbbm', LIMIT)).toBeNull();
    expect(ok('a.nbbm', LIMIT + 1)).toEqual({ code: 'UPLOAD_TOO_LARGE', status: 413 });
  });
});

describe('expiry', () => {
  const now = Date.parse('2026-12-05T12:00:00Z');
  const old = now - TUS_EXPIRY_MS - 1;
  it('an upload expires when neither its data nor its state was written for the expiry (24 h by default)', () => {
    const files = [
      { name: `tus-${'1'.repeat(32)}`, mtimeMs: old },
      { name: `tus-${'1'.repeat(32)}.json`, mtimeMs: old },
      // A recent chunk keeps an old upload alive.
      { name: `tus-${'2'.repeat(32)}`, mtimeMs: now - 1000 },
      { name: `tus-${'2'.repeat(32)}.json`, mtimeMs: old },
      // Not ours to judge: a finished upload, a one-request upload in progress.
      { name: `${HEX}.nbbm`, mtimeMs: old },
      { name: `${HEX}.partial`, mtimeMs: old },
    ];
    expect(expiredTusIds(files, now)).toEqual([`tus-${'1'.repeat(32)}`]);
    expect(expiredTusIds(files, now, 500)).toEqual([`tus-${'1'.repeat(32)}`, `tus-${'2'.repeat(32)}`]);
  });

  it('the sweep removes both files of an expired upload and nothing else', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bm-tus-sweep-'));
    try {
      const names = [`tus-${'1'.repeat(32)}`, `tus-${'1'.repeat(32)}.json`, `tus-${'2'.repeat(32)}`, `tus-${'2'.repeat(32)}.json`, `${HEX}.nbbm`];
      for (const n of names) fs.writeFileSync(path.join(dir, n), 'x');
      const t = (Date.now() - 2 * 3600 * 1000) / 1000;
      for (const n of [names[0], names[1], names[4]]) fs.utimesSync(path.join(dir, n), t, t);
      expect(await sweepTusUploads(dir, Date.now(), 3600 * 1000)).toEqual([`tus-${'1'.repeat(32)}`]);
      expect(fs.readdirSync(dir).sort()).toEqual([names[4], names[2], names[3]].sort());
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
