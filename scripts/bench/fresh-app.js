// A fresh app of one scenario: its own database and storage folder, installed, started and signed in to; the clean-ups
// (drop the database, stop the server) registered on the run's context.
const h = require('../app-harness');
const { log } = require('./util');
const { Api } = require('./http');

/** The environment of a scenario's app: its database, port and storage, the bench admin, quiet logs. */
function benchAppEnv(d, { db, port, storage, opts }) {
  return {
    ...d.appEnv(db),
    APP_PORT: String(port),
    STORAGE_PATH: storage,
    LOGGER_LEVEL: 'warn',
    INIT_ROOT_EMAIL: 'admin@nocobase.com',
    INIT_ROOT_PASSWORD: 'admin123',
    ...(opts.serverEnv || {}),
  };
}

async function startFreshApp(ctx, d, { db, port, storage, label, opts }) {
  ctx.onCleanup(`drop database ${db}`, () => d.drop(db));
  const env = benchAppEnv(d, { db, port, storage, opts });
  log(`${label}: installing a fresh app in database ${db} (storage ${storage})`);
  await d.drop(db);
  h.prepare(ctx.appDir, { fresh: true, overrides: env });
  const server = await h.startServer(ctx.appDir, { quiet: !opts.serverLogs, overrides: env });
  ctx.onCleanup('stop the server', () => h.stopServer(server.child));
  const api = new Api(server.url);
  await api.signIn();
  return { server, api, env };
}

module.exports = { benchAppEnv, startFreshApp };
