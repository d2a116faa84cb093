import fs from 'fs';
import os from 'os';
import path from 'path';
import { installedAppVersion, loadAppEnv, parseEnvFile } from '../env-file';

describe('.env reading', () => {
  it('reads KEY=VALUE lines as dotenv does', () => {
    const text = [
      '# NocoBase',
      'APP_ENV=production',
      'export DB_DIALECT=postgres',
      'DB_HOST = 127.0.0.1  # the server',
      'DB_PASSWORD="p#ss word"',
      'SINGLE=\'a "b" # c\'',
      'NEWLINES="a\\nb"',
      'EMPTY=',
      'URL=postgres://u@h/db?x=1',
      'not a line',
      'WIN=crlf\r',
    ].join('\n');
    expect(parseEnvFile(text)).toEqual({
      APP_ENV: 'production',
      DB_DIALECT: 'postgres',
      DB_HOST: '127.0.0.1',
      DB_PASSWORD: 'p#ss word',
      SINGLE: 'a "b" # c',
      NEWLINES: 'a\nb',
      EMPTY: '',
      URL: 'postgres://u@h/db?x=1',
      WIN: 'crlf',
    });
  });

  it('lets the process environment override the file, and works without a file', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bm-env-'));
    try {
      fs.writeFileSync(path.join(dir, '.env'), 'DB_DIALECT=sqlite\nDB_STORAGE=storage/db/a.sqlite\nAPP_KEY=file\n');
      const env = loadAppEnv(dir, { APP_KEY: 'process', STORAGE_PATH: '/s', UNSET: undefined });
      expect(env).toMatchObject({
        DB_DIALECT: 'sqlite',
        DB_STORAGE: 'storage/db/a.sqlite',
        APP_KEY: 'process',
        STORAGE_PATH: '/s',
      });
      expect('UNSET' in env).toBe(false);
      expect(loadAppEnv(path.join(dir, 'missing'), { DB_DIALECT: 'postgres' })).toEqual({ DB_DIALECT: 'postgres' });
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it("finds NocoBase's version in the app's node_modules without loading it", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bm-ver-'));
    try {
      expect(installedAppVersion(dir)).toBeUndefined();
      const pkg = path.join(dir, 'node_modules', '@nocobase', 'server');
      fs.mkdirSync(pkg, { recursive: true });
      fs.writeFileSync(path.join(pkg, 'package.json'), '{"version":"2.2.15"}');
      expect(installedAppVersion(path.join(dir))).toBe('2.2.15');
      fs.mkdirSync(path.join(dir, 'sub'));
      expect(installedAppVersion(path.join(dir, 'sub'))).toBe('2.2.15');
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
