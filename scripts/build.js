#!/usr/bin/env node
// Builds dist/ with esbuild (@nocobase/build 2.x is not on the registry):
//   dist/server        CommonJS; collections stay separate files because NocoBase imports that folder itself
//   dist/client        an AMD module for the admin shell's requirejs, shell-provided libraries left external
//   dist/cli           the standalone recovery command (bin), which must run without the app booting
//   dist/locale        en-US / zh-CN
//   dist/externalVersion.js  versions of the externals, read by the plugin manager's compatibility check
// `--tar` also packs a tarball for `yarn pm add`.
const esbuild = require('esbuild');
const fs = require('fs');
const path = require('path');
const { execFileSync } = require('child_process');

const root = path.join(__dirname, '..');
const dist = path.join(root, 'dist');
const pkg = require(path.join(root, 'package.json'));
const appModules = path.join(root, '.app', 'node_modules');

// Provided by the NocoBase server at run time (never bundle a second copy).
const serverExternals = [
  '@nocobase/*',
  'sequelize',
  'sqlite3',
  'pg',
  'pg-hstore',
  'mysql2',
  'mariadb',
  'koa',
  'lodash',
];
// Module ids the admin shell's requirejs provides (see shared facts); everything else is bundled.
const clientExternals = [
  'react',
  'react-dom',
  'react/jsx-runtime',
  'react-router',
  'react-router-dom',
  'antd',
  'antd-style',
  '@ant-design/icons',
  '@ant-design/cssinjs',
  'i18next',
  'react-i18next',
  '@formily/*',
  '@nocobase/utils',
  '@nocobase/utils/client',
  '@nocobase/client',
  '@nocobase/sdk',
  '@nocobase/flow-engine',
  'axios',
  'dayjs',
  'lodash',
  'ahooks',
  '@emotion/css',
  'file-saver',
];

function walk(dir, filter) {
  if (!fs.existsSync(dir)) return [];
  return fs
    .readdirSync(dir, { withFileTypes: true })
    .flatMap((d) => (d.isDirectory() ? walk(path.join(dir, d.name), filter) : [path.join(dir, d.name)]))
    .filter(filter);
}

async function buildServer() {
  const isSource = (f) => /\.tsx?$/.test(f) && !/__tests__/.test(f) && !f.endsWith('.d.ts');
  const collections = walk(path.join(root, 'src/server/collections'), isSource);
  const migrations = walk(path.join(root, 'src/server/migrations'), isSource);
  const common = {
    bundle: true,
    platform: 'node',
    target: 'node18',
    format: 'cjs',
    external: serverExternals,
    sourcemap: false,
    logLevel: 'warning',
    define: { 'process.env.BM_PLUGIN_VERSION': JSON.stringify(pkg.version) },
  };
  await esbuild.build({
    ...common,
    entryPoints: { index: path.join(root, 'src/server/index.ts') },
    outdir: path.join(dist, 'server'),
  });
  // One file per collection/migration, as NocoBase reads these folders with its own importer.
  for (const [folder, files] of [
    ['collections', collections],
    ['migrations', migrations],
  ]) {
    if (!files.length) continue;
    await esbuild.build({
      ...common,
      entryPoints: files,
      outdir: path.join(dist, 'server', folder),
      outbase: path.join(root, 'src/server', folder),
    });
  }
  const cli = path.join(root, 'src/server/cli/standalone.ts');
  if (!fs.existsSync(cli)) return;
  await esbuild.build({
    ...common,
    entryPoints: { standalone: cli },
    // Bundles lodash (if anything needs it): the recovery command must not depend on what the app happens to have.
    // unzipper's optional S3 reader stays out: the command never reads from S3 (off-site copies are the app's).
    external: [...serverExternals.filter((name) => name !== 'lodash'), '@aws-sdk/client-s3'],
    outdir: path.join(dist, 'cli'),
    banner: { js: '#!/usr/bin/env node' },
  });
  fs.chmodSync(path.join(dist, 'cli', 'standalone.js'), 0o755);
}

async function buildClient() {
  const result = await esbuild.build({
    entryPoints: [path.join(root, 'src/client/index.tsx')],
    bundle: true,
    write: false,
    format: 'cjs',
    platform: 'browser',
    target: 'es2019',
    jsx: 'automatic',
    external: clientExternals,
    metafile: true,
    minify: true,
    logLevel: 'warning',
    loader: { '.json': 'json' },
  });
  const deps = new Set();
  for (const out of Object.values(result.metafile.outputs)) {
    for (const imp of out.imports) if (imp.external) deps.add(imp.path);
  }
  const ids = [...deps].sort();
  const code = result.outputFiles[0].text;
  // Wrap the CommonJS bundle as define(name, deps, factory): requirejs hands us the shell's own copies.
  const amd =
    `define(${JSON.stringify(pkg.name)}, ${JSON.stringify(ids)}, function () {\n` +
    `var __deps = {}; var __args = arguments; ${JSON.stringify(ids)}.forEach(function (id, i) { __deps[id] = __args[i]; });\n` +
    `var require = function (id) { if (id in __deps) return __deps[id]; throw new Error('Module not provided: ' + id); };\n` +
    `var module = { exports: {} }; var exports = module.exports;\n` +
    `${code}\nreturn module.exports;\n});\n`;
  fs.mkdirSync(path.join(dist, 'client'), { recursive: true });
  fs.writeFileSync(path.join(dist, 'client', 'index.js'), amd);
  return ids;
}

function versionOf(name) {
  try {
    return require(path.join(appModules, name, 'package.json')).version;
  } catch {
    return undefined;
  }
}

function writeExternalVersion(clientIds) {
  const names = new Set(['@nocobase/client', '@nocobase/server', '@nocobase/database', '@nocobase/utils']);
  for (const id of clientIds) names.add(id.startsWith('@') ? id.split('/').slice(0, 2).join('/') : id.split('/')[0]);
  const versions = {};
  for (const n of [...names].sort()) {
    const v = versionOf(n);
    if (v) versions[n] = v;
  }
  fs.writeFileSync(path.join(dist, 'externalVersion.js'), `module.exports = ${JSON.stringify(versions, null, 2)};\n`);
}

function copyLocales() {
  const out = path.join(dist, 'locale');
  fs.mkdirSync(out, { recursive: true });
  for (const f of fs.readdirSync(path.join(root, 'src/locale'))) {
    fs.copyFileSync(path.join(root, 'src/locale', f), path.join(out, f));
  }
}

async function main() {
  const started = Date.now();
  fs.rmSync(dist, { recursive: true, force: true });
  await buildServer();
  const ids = await buildClient();
  copyLocales();
  writeExternalVersion(ids);
  if (process.argv.includes('--tar')) {
    const out = execFileSync('npm', ['pack', '--silent', '--pack-destination', dist], { cwd: root }).toString().trim();
    const tgz = path.join(dist, out.split('\n').pop());
    console.log(`tarball: ${tgz}`);
  }
  console.log(`built dist/ in ${Date.now() - started} ms`);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
