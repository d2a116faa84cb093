import { execFileSync } from 'child_process';
import fs from 'fs';
import os from 'os';
import path from 'path';
import { runNs } from './run-scope';

// eslint-disable-next-line @typescript-eslint/no-var-requires
const h = require('../../scripts/app-harness');

export interface Tarball {
  file: string;
  version: string;
}

/** The version just below `v` (one patch lower; 0.1.0 → 0.0.999): a "previous release" of this build. */
export function lowerVersion(v: string): string {
  const [major, minor, patch] = v.split('.').map((n) => parseInt(n, 10));
  if (patch > 0) return `${major}.${minor}.${patch - 1}`;
  if (minor > 0) return `${major}.${minor - 1}.999`;
  if (major > 0) return `${major - 1}.999.999`;
  throw new Error(`no version below ${v}`);
}

/** `npm run build -- --tar`, as a release is made; the tarball is copied out of dist/ (the next build empties it). */
export function buildTarball(): Tarball {
  // npm test packs it once before its lanes start: two builds at once would empty dist/ under each other.
  let built = process.env.BM_TARBALL;
  if (!built) {
    const out = execFileSync(process.execPath, [path.join(h.root, 'scripts', 'build.js'), '--tar'], { cwd: h.root, encoding: 'utf8' });
    const m = /^tarball: (.+)$/m.exec(out);
    if (!m) throw new Error(`build --tar printed no tarball: ${out}`);
    built = m[1];
  }
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `bm-tgz-${runNs()}`));
  const file = path.join(dir, path.basename(built));
  fs.copyFileSync(built, file);
  return { file, version: h.pkg.version };
}

/** The same package with its version one patch lower, packed the way npm packs (a `package/` folder). */
export function previousTarball(current: Tarball): Tarball {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `bm-tgz-prev-${runNs()}`));
  execFileSync('tar', ['-xzf', current.file, '-C', dir]);
  const pkgFile = path.join(dir, 'package', 'package.json');
  const pkg = JSON.parse(fs.readFileSync(pkgFile, 'utf8'));
  pkg.version = lowerVersion(current.version);
  fs.writeFileSync(pkgFile, `${JSON.stringify(pkg, null, 2)}\n`);
  const file = path.join(dir, `nbkit-plugin-backups-manager-${pkg.version}.tgz`);
  execFileSync('tar', ['-czf', file, '-C', dir, 'package']);
  return { file, version: pkg.version };
}
