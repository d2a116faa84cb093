#!/usr/bin/env node
// `npm start`: a NocoBase 2.2.15 app with this plugin at http://localhost:13000 (SQLite unless DB_DIALECT is set).
const path = require('path');
const h = require('./app-harness');

async function main() {
  const started = Date.now();
  const appDir = path.resolve(process.env.BM_APP_DIR || path.join(h.root, '.app'));
  h.ensureDevDeps();
  h.ensureApp(appDir);
  const env = h.writeEnv(appDir);
  h.installPlugin(appDir);
  h.prepare(appDir);
  const server = await h.startServer(appDir);
  const stop = () => {
    server.stop().then(() => process.exit(0));
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
  const url = `http://localhost:${env.APP_PORT}`;
  console.log(`\nNocoBase with Backups Manager is running (${env.DB_DIALECT}), ready in ${Math.round((Date.now() - started) / 1000)} s`);
  console.log(`  URL:      ${url}`);
  console.log(`  Settings: ${url}/admin/settings/backups-manager`);
  console.log(`  Login:    ${env.INIT_ROOT_EMAIL} / ${env.INIT_ROOT_PASSWORD}`);
  console.log('Press Ctrl-C to stop.');
  server.child.on('exit', (code) => process.exit(code ?? 0));
}

main().catch((err) => {
  console.error(err.message || err);
  process.exit(1);
});
