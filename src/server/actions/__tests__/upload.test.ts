import fs from 'fs';
import os from 'os';
import path from 'path';
import { PassThrough, Readable } from 'stream';
import type { IncomingMessage } from 'http';
import { backupPaths, ensureDirs, type BackupPaths } from '../../paths';
import { isTrue } from '../trust';
import { discardUpload, receiveUpload, uploadLimit, uploadPath } from '../upload';

let paths: BackupPaths;
beforeEach(async () => {
  paths = backupPaths(await fs.promises.mkdtemp(path.join(os.tmpdir(), 'nbbm-upload-')), 'main');
  await ensureDirs(paths);
});
afterEach(() => fs.promises.rm(paths.storage, { recursive: true, force: true }));

const request = (stream: Readable, headers: Record<string, string> = {}) => Object.assign(stream, { headers }) as unknown as IncomingMessage;
const body = (data: string, headers: Record<string, string> = {}) => request(Readable.from([Buffer.from(data)]), headers);
const left = () => fs.promises.readdir(paths.uploads);

describe('receiveUpload', () => {
  it('streams the body into a private file named by a fresh upload id', async () => {
    const { uploadId, file } = await receiveUpload(body('archive bytes', { 'content-length': '13' }), paths);
    expect(uploadId).toMatch(/^[a-f0-9]{32}$/);
    expect(file).toBe(path.join(paths.uploads, `${uploadId}.nbbm`));
    expect(await fs.promises.readFile(file, 'utf8')).toBe('archive bytes');
    expect((await fs.promises.stat(file)).mode & 0o777).toBe(0o600);
    expect(await left()).toEqual([`${uploadId}.nbbm`]);
    expect(uploadPath(paths, uploadId)).toBe(file);
  });

  it('refuses UPLOAD_TOO_LARGE (413) from the Content-Length before reading, and while reading without one', async () => {
    await expect(receiveUpload(body('0123456789', { 'content-length': '10' }), paths, 9)).rejects.toMatchObject({ code: 'UPLOAD_TOO_LARGE', status: 413 });
    await expect(receiveUpload(body('0123456789'), paths, 9)).rejects.toMatchObject({ code: 'UPLOAD_TOO_LARGE', status: 413 });
    expect(await left()).toEqual([]);
  });

  it('refuses an empty body and one shorter than announced, leaving nothing', async () => {
    await expect(receiveUpload(body(''), paths)).rejects.toMatchObject({ code: 'UPLOAD_EMPTY', status: 400 });
    await expect(receiveUpload(body('abc', { 'content-length': '4' }), paths)).rejects.toMatchObject({ code: 'NOT_AN_ARCHIVE', status: 400 });
    expect(await left()).toEqual([]);
  });

  it('refuses UPLOAD_BUSY (409) while another body is being received, and takes the next one after it', async () => {
    const slow = new PassThrough();
    const first = receiveUpload(request(slow), paths);
    await expect(receiveUpload(body('second'), paths)).rejects.toMatchObject({ code: 'UPLOAD_BUSY', status: 409 });
    slow.end('first');
    await first;
    await expect(receiveUpload(body('third'), paths)).resolves.toMatchObject({ uploadId: expect.any(String) });
  });
});

describe('uploadPath', () => {
  it.each([
    ['a path', '../../etc/passwd'],
    ['an id with a path in it', `${'a'.repeat(30)}/x`],
    ['upper-case hex', 'A'.repeat(32)],
    ['a number', 42],
    ['an upload that does not exist (any more)', 'b'.repeat(32)],
  ])('answers UPLOAD_NOT_FOUND (404) for %s', (_name, id) => {
    expect(() => uploadPath(paths, id)).toThrow(expect.objectContaining({ code: 'UPLOAD_NOT_FOUND', status: 404 }));
  });
});

describe('discardUpload', () => {
  it('removes an upload, and never a file outside the uploads folder', async () => {
    const upload = path.join(paths.uploads, `${'c'.repeat(32)}.nbbm`);
    const listed = path.join(paths.archives, 'main_1.nbbm');
    await fs.promises.writeFile(upload, 'x');
    await fs.promises.writeFile(listed, 'x');
    await discardUpload(paths, listed);
    await discardUpload(paths, path.join(paths.uploads, '..', 'main_1.nbbm'));
    await discardUpload(paths, undefined);
    expect(fs.existsSync(listed)).toBe(true);
    await discardUpload(paths, upload);
    expect(fs.existsSync(upload)).toBe(false);
  });
});

describe('uploadLimit and isTrue', () => {
  it('defaults the upload limit to 20 GiB and takes a positive byte count from the environment', () => {
    expect(uploadLimit({})).toBe(20 * 1024 ** 3);
    expect(uploadLimit({ BACKUPS_MANAGER_UPLOAD_LIMIT: '1048576' })).toBe(1048576);
    expect(uploadLimit({ BACKUPS_MANAGER_UPLOAD_LIMIT: '-1' })).toBe(20 * 1024 ** 3);
    expect(uploadLimit({ BACKUPS_MANAGER_UPLOAD_LIMIT: 'lots' })).toBe(20 * 1024 ** 3);
  });

  it('reads a flag from a JSON body or a query string, anything else as false', () => {
    expect([true, 'true'].map(isTrue)).toEqual([true, true]);
    expect([false, 'false', 1, '1', 'TRUE', undefined, null].map(isTrue)).toEqual(Array(7).fill(false));
  });
});
