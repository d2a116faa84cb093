import fs from 'fs';
import os from 'os';
import path from 'path';
import { signingKey } from '../../archive/provenance';
import { ArchiveWriter } from '../../archive/writer';
import { draft } from '../../archive/__tests__/helpers';
import { EXIT } from '../exit-codes';
import { main } from '../standalone';

jest.setTimeout(60_000);

let tmp: string;
let stdout: string;
let stderr: string;

beforeEach(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'bm-cli-'));
  stdout = '';
  stderr = '';
  jest
    .spyOn(process.stdout, 'write')
    .mockImplementation((chunk: string | Uint8Array) => ((stdout += String(chunk)), true));
  jest
    .spyOn(process.stderr, 'write')
    .mockImplementation((chunk: string | Uint8Array) => ((stderr += String(chunk)), true));
});
afterEach(() => {
  jest.restoreAllMocks();
  fs.rmSync(tmp, { recursive: true, force: true });
});

const sqliteEnv = () => ({
  DB_DIALECT: 'sqlite',
  DB_STORAGE: 'storage/db/app.sqlite',
  STORAGE_PATH: path.join(tmp, 'storage'),
});

describe('nb-backups', () => {
  it('prints usage: 0 when asked, 1 on a mistake', async () => {
    expect(await main(['--help'], {}, tmp)).toBe(EXIT.OK);
    expect(stdout).toContain('Usage: nb-backups');
    expect(await main(['restore'], {}, tmp)).toBe(EXIT.USAGE);
    expect(stderr).toContain('restore needs exactly one backup file');
  });

  it('refuses to guess the app: no .env and no DB_DIALECT is a usage error', async () => {
    expect(await main(['list', '--json'], {}, tmp)).toBe(EXIT.USAGE);
    expect(JSON.parse(stdout)).toMatchObject({ ok: false, exitCode: 1, error: { code: 'USAGE' } });
  });

  it("lists the app's backup folder (empty) as one JSON result, reading the .env", async () => {
    fs.writeFileSync(path.join(tmp, '.env'), 'DB_DIALECT=sqlite\nDB_STORAGE=storage/db/app.sqlite\nAPP_NAME=crm\n');
    expect(await main(['list', '--json'], { STORAGE_PATH: path.join(tmp, 'st') }, tmp)).toBe(EXIT.OK);
    expect(JSON.parse(stdout)).toEqual({
      ok: true,
      folder: path.join(tmp, 'st', 'backups-manager', 'crm'),
      backups: [],
    });
  });

  it('lists unreadable files instead of failing', async () => {
    const folder = path.join(tmp, 'storage', 'backups-manager', 'main');
    fs.mkdirSync(folder, { recursive: true });
    fs.writeFileSync(path.join(folder, 'main_20260101-000000-000.nbbm'), 'not a zip');
    expect(await main(['list'], sqliteEnv(), tmp)).toBe(EXIT.OK);
    expect(stdout).toContain('main_20260101-000000-000.nbbm');
    expect(stdout).toContain('UNREADABLE');
  });

  it('answers 2 for a file that is missing or not a backup', async () => {
    expect(await main(['verify', 'nope.nbbm', '--json'], sqliteEnv(), tmp)).toBe(EXIT.INVALID);
    expect(JSON.parse(stdout).error.message).toMatch(/No such backup file: nope.nbbm/);
    fs.writeFileSync(path.join(tmp, 'junk.nbbm'), 'junk');
    stdout = '';
    expect(await main(['verify', './junk.nbbm', '--json'], sqliteEnv(), tmp)).toBe(EXIT.INVALID);
    expect(JSON.parse(stdout).error.code).toBe('NOT_AN_ARCHIVE');
  });

  it('answers 3 when the database tool is missing, with the fix', async () => {
    const env = { DB_DIALECT: 'kingbase', DB_DATABASE: 'x', STORAGE_PATH: path.join(tmp, 'storage') };
    expect(await main(['backup', '--json'], env, tmp)).toBe(EXIT.TOOL);
    expect(JSON.parse(stdout).error).toMatchObject({
      code: 'TOOL_MISSING',
      message: expect.stringContaining('sys_dump'),
    });
  });

  it('restores only when confirmed (no terminal here: --yes is needed)', async () => {
    fs.writeFileSync(path.join(tmp, 'x.nbbm'), 'x');
    expect(await main(['restore', './x.nbbm'], sqliteEnv(), tmp)).toBe(EXIT.USAGE);
    expect(stderr).toContain('Not confirmed: nothing was changed');
  });
});

describe('the bundled command', () => {
  it('never loads NocoBase: no @nocobase import in what esbuild bundles', async () => {
    // eslint-disable-next-line @typescript-eslint/no-var-requires
    const esbuild = require('esbuild') as typeof import('esbuild');
    const result = await esbuild.build({
      entryPoints: [path.join(__dirname, '..', 'standalone.ts')],
      bundle: true,
      platform: 'node',
      format: 'cjs',
      write: false,
      metafile: true,
      external: ['@nocobase/*', 'sqlite3', '@aws-sdk/client-s3'],
      logLevel: 'silent',
    });
    const imports = Object.values(result.metafile.inputs).flatMap((i) => i.imports.map((x) => x.path));
    expect(imports.filter((p) => p.startsWith('@nocobase/'))).toEqual([]);
  });

  it("refuses to verify or restore a backup made elsewhere without --trust-foreign, reading APP_KEY from the .env", async () => {
    fs.writeFileSync(path.join(tmp, '.env'), 'DB_DIALECT=sqlite\nDB_STORAGE=storage/db/app.sqlite\nAPP_KEY=the-apps-own-key\n');
    const file = path.join(tmp, 'foreign.nbbm');
    const w = await ArchiveWriter.create(file, { tmpDir: path.join(tmp, 'w'), signingKey: signingKey('another-apps-key') });
    await w.addBuffer('db/main.sqlite', Buffer.from('x'));
    await w.finish(draft({ database: { ...draft().database, dialect: 'sqlite', dump: 'db/main.sqlite' } }));
    const env = { STORAGE_PATH: path.join(tmp, 'storage') };
    expect(await main(['verify', file, '--json'], env, tmp)).toBe(EXIT.INVALID);
    expect(JSON.parse(stdout)).toMatchObject({ ok: false, error: { code: 'FOREIGN_ARCHIVE_NEEDS_ACK' } });
    stdout = '';
    expect(await main(['restore', file, '--yes', '--force', '--json'], env, tmp)).toBe(EXIT.INVALID);
    expect(JSON.parse(stdout)).toMatchObject({ ok: false, error: { code: 'FOREIGN_ARCHIVE_NEEDS_ACK' } });
    expect(JSON.parse(stdout).error.message).toContain('--trust-foreign');
  });
});
