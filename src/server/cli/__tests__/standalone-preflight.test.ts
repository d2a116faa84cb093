import fs from 'fs';
import os from 'os';
import path from 'path';
import type { Requirements } from '../../archive/manifest-types';
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
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'pf-cli-'));
  stdout = '';
  stderr = '';
  jest.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => ((stdout += String(chunk)), true));
  jest.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => ((stderr += String(chunk)), true));
  fs.writeFileSync(path.join(tmp, '.env'), 'DB_DIALECT=sqlite\nDB_STORAGE=storage/db/app.sqlite\nAPP_KEY=the-apps-own-key\n');
  fs.mkdirSync(path.join(tmp, 'storage', 'db'), { recursive: true });
});
afterEach(() => {
  jest.restoreAllMocks();
  fs.rmSync(tmp, { recursive: true, force: true });
});

/** A backup signed by this app (its .env's APP_KEY) whose requirements are `requirements`. */
async function archive(requirements: Requirements): Promise<string> {
  const file = path.join(tmp, 'b.nbbm');
  const w = await ArchiveWriter.create(file, { tmpDir: path.join(tmp, 'w'), signingKey: signingKey('the-apps-own-key') });
  await w.addBuffer('db/main.sqlite', Buffer.from('SQLite format 3\0'));
  await w.finish({ ...draft({ database: { ...draft().database, dialect: 'sqlite', dump: 'db/main.sqlite' }, parts: ['database'] }), requirements });
  return file;
}

const REQ: Requirements = {
  nocobaseVersion: '2.0.0',
  plugins: [{ name: 'pf-ghost', packageName: '@pf/plugin-ghost', version: '1.2.3', enabled: true, inArchive: false }],
  db: { underscored: false, serverVersion: '3.40.0' },
  dumpFormat: { tool: 'sqlite VACUUM INTO', version: '3.40.0' },
};

describe('nb-backups restore: the pre-flight report', () => {
  it('prints the report and refuses a blocking check (exit 2) before anything is touched', async () => {
    const file = await archive(REQ);
    const env = { STORAGE_PATH: path.join(tmp, 'storage') };
    expect(await main(['restore', file, '--yes', '--force', '--accept-warnings', '--json'], env, tmp)).toBe(EXIT.INVALID);
    const out = JSON.parse(stdout);
    expect(out).toMatchObject({ ok: false, error: { code: 'PREFLIGHT_BLOCKED' } });
    expect(out.error.message).toContain('plugin:pf-ghost');
    expect(out.report.checks.find((c: { id: string }) => c.id === 'plugin:pf-ghost')).toMatchObject({ level: 'blocking', code: 'PREFLIGHT_PLUGIN_MISSING' });
    expect(stderr).toContain('[BLOCKING] The plugin @pf/plugin-ghost (1.2.3) is enabled in the backup but not installed here.');
    expect(stderr).toContain('fix: Install @pf/plugin-ghost 1.2.3 in this application');
    expect(fs.existsSync(path.join(tmp, 'storage', 'db', 'app.sqlite'))).toBe(false);
    expect(fs.readdirSync(path.join(tmp, 'storage', 'backups-manager', 'main', '.tmp'))).toEqual([]);
  });

  it('warnings need --accept-warnings', async () => {
    // No NocoBase in this folder: its version cannot be read (a warning), and no plugin is required.
    const file = await archive({ ...REQ, plugins: [] });
    const env = { STORAGE_PATH: path.join(tmp, 'storage') };
    expect(await main(['restore', file, '--yes', '--force', '--json'], env, tmp)).toBe(EXIT.INVALID);
    const out = JSON.parse(stdout);
    expect(out).toMatchObject({ ok: false, error: { code: 'PREFLIGHT_WARNINGS_NOT_ACCEPTED' } });
    expect(out.error.message).toContain('--accept-warnings');
    expect(stderr).toContain('[WARNING ] The installed NocoBase version could not be read');
    expect(fs.existsSync(path.join(tmp, 'storage', 'db', 'app.sqlite'))).toBe(false);
  });
});
