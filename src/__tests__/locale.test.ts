import fs from 'fs';
import path from 'path';
import enUS from '../locale/en-US.json';
import zhCN from '../locale/zh-CN.json';

// Every user-facing string goes through i18n in both languages: the keys the code uses must exist in each file.
const src = path.resolve(__dirname, '..');

function sources(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((d) => {
    const p = path.join(dir, d.name);
    if (d.isDirectory()) return d.name === '__tests__' ? [] : sources(p);
    return /\.tsx?$/.test(d.name) ? [p] : [];
  });
}

function literals(files: string[], pattern: RegExp): Set<string> {
  const found = new Set<string>();
  for (const f of files) for (const m of fs.readFileSync(f, 'utf8').matchAll(pattern)) found.add(m[1]);
  return found;
}

describe('locales', () => {
  it('en-US and zh-CN have the same keys, none empty', () => {
    expect(Object.keys(zhCN).sort()).toEqual(Object.keys(enUS).sort());
    for (const [k, v] of Object.entries(zhCN)) expect([k, typeof v === 'string' && v.length > 0]).toEqual([k, true]);
  });

  it('every t("...") of the admin page is translated', () => {
    const keys = literals(sources(path.join(src, 'client')), /\bt\(\s*'((?:[^'\\]|\\.)+)'/g);
    expect(keys.size).toBeGreaterThan(50);
    const missing = [...keys].map((k) => k.replace(/\\'/g, "'")).filter((k) => !(k in enUS));
    expect(missing).toEqual([]);
  });

  it('every error code the server raises has a message', () => {
    const files = sources(path.join(src, 'server'));
    const codes = new Set([
      ...literals(files, /new BackupError\(\s*'([A-Z_]+)'/g),
      ...literals(files, /reason: '([A-Z_]+)'/g),
    ]);
    expect(codes.size).toBeGreaterThan(10);
    expect([...codes].filter((c) => !(c in enUS))).toEqual([]);
  });
});
