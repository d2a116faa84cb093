import path from 'path';
import { SETTINGS, STORAGE_DIR, TASKS } from '../../src/constants';
import { readManifest } from '../../src/server/archive/reader';
import { startRealApp, waitTaskApi, type RealApp } from '../helpers/real-app';
import { isMysqlFamily, targetOfEnv, withConn, type DbTarget } from '../helpers/inspect';
import { port, runNs } from '../helpers/run-scope';

jest.setTimeout(1200000);

const dialect = (process.env.DB_DIALECT || 'sqlite') as DbTarget['dialect'];
const short = { postgres: 'pg', mariadb: 'maria', mysql: 'my', sqlite: 'lite' }[dialect];
// External databases of their own, on the machine's PostgreSQL and MariaDB, whatever the main app runs on.
const PG_DB = `bm_ext_pg_${runNs()}${short}`;
const MARIA_DB = `bm_ext_maria_${runNs()}${short}`;
// Trust authentication ignores it; it must never show up in an answer or a manifest.
const SECRET = 'bm-ds-secret-4711';
const PG: DbTarget = { dialect: 'postgres', host: '127.0.0.1', port: 5432, user: 'postgres', password: SECRET, database: PG_DB };
const MARIA: DbTarget = { dialect: 'mariadb', host: '127.0.0.1', port: 3306, user: 'root', password: '', database: MARIA_DB };

const items = (t: DbTarget) => withConn(t, (c) => c.query('SELECT id, note FROM bm_ext_items ORDER BY id'));
const pgView = () => withConn(PG, (c) => c.query(`SELECT count(*)::int AS n FROM pg_views WHERE viewname = 'bm_ext_view'`));
async function damage(t: DbTarget) {
  await withConn(t, async (c) => {
    await c.query(`UPDATE bm_ext_items SET note = 'damaged' WHERE id = 1`);
    await c.query('DELETE FROM bm_ext_items WHERE id IN (2, 99)');
    await c.query(`INSERT INTO bm_ext_items (id, note) VALUES (99, 'intruder')`);
    if (t.dialect === 'postgres') await c.query('DROP VIEW IF EXISTS bm_ext_view');
  });
}

describe('external data sources: included on request, restored only on explicit choice', () => {
  let app: RealApp;
  let backup: Record<string, any>;
  const before: Record<string, unknown[]> = {};

  const ok = async (p: string, body?: unknown) => {
    const r = await app.api(p, body === undefined ? {} : { body });
    if (r.status !== 200) throw new Error(`${p}: ${r.status} ${JSON.stringify(r.body)}`);
    return r.body.data;
  };
  async function restore(body: Record<string, unknown>) {
    const started = await ok(`${TASKS}:restore`, { taskId: backup.id, safetyBackup: true, ...body });
    const done = await waitTaskApi(app, started.id, 600000);
    expect(done).toMatchObject({ status: 'succeeded', error: null });
    return done;
  }

  beforeAll(async () => {
    await withConn({ ...PG, database: 'postgres' }, async (c) => {
      await c.query(`DROP DATABASE IF EXISTS ${PG_DB} WITH (FORCE)`);
      await c.query(`CREATE DATABASE ${PG_DB}`);
    });
    await withConn(PG, async (c) => {
      await c.query('CREATE TABLE bm_ext_items (id integer PRIMARY KEY, note varchar(50))');
      await c.query(`INSERT INTO bm_ext_items VALUES (1, 'pg one'), (2, 'pg two'), (3, 'pg three')`);
      await c.query(`CREATE VIEW bm_ext_view AS SELECT id FROM bm_ext_items WHERE id > 1`);
    });
    await withConn({ ...MARIA, database: undefined }, (c) => c.query(`DROP DATABASE IF EXISTS ${MARIA_DB}; CREATE DATABASE ${MARIA_DB}`));
    await withConn(MARIA, async (c) => {
      await c.query('CREATE TABLE bm_ext_items (id integer PRIMARY KEY, note varchar(50))');
      await c.query(`INSERT INTO bm_ext_items VALUES (1, 'maria one'), (2, 'maria two'), (3, 'maria three')`);
    });
    before.pg = await items(PG);
    before.maria = await items(MARIA);

    app = await startRealApp({ name: 'datasources', port: port(13138) });
    // The sources, stored the way NocoBase's (commercial) external data source plugins store them: those plugins
    // are not on the npm registry this project installs from, so the rows are written directly.
    const rows: [string, string, Record<string, unknown>][] = [
      ['ext_pg', 'postgres', { host: '127.0.0.1', port: 5432, username: 'postgres', password: SECRET, database: PG_DB }],
      ['ext_maria', 'mariadb', { host: '127.0.0.1', port: 3306, username: 'root', password: '', database: MARIA_DB }],
      ['ext_mssql', 'mssql', { host: '127.0.0.1', port: 1433, username: 'sa', password: SECRET, database: 'erp' }],
      // A PostgreSQL source whose server is down.
      ['ext_down', 'postgres', { host: '127.0.0.1', port: 1, username: 'postgres', password: SECRET, database: 'gone' }],
    ];
    const q = (id: string) => (isMysqlFamily(dialect) ? `\`${id}\`` : `"${id}"`);
    await withConn(targetOfEnv(app.env), async (c) => {
      for (const [key, type, options] of rows) {
        const json = JSON.stringify(options).replace(/'/g, "''");
        await c.query(
          `INSERT INTO ${q('dataSources')} (${['key', 'displayName', 'type', 'options', 'enabled', 'fixed', 'createdAt', 'updatedAt'].map(q).join(', ')}) ` +
            `VALUES ('${key}', '${key} source', '${type}', '${json}', ${dialect === 'sqlite' ? 1 : 'true'}, ${dialect === 'sqlite' ? 0 : 'false'}, CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)`,
        );
      }
    });
  });

  afterAll(async () => {
    await app?.stop();
  });

  it('lists the sources; SQL Server is shown with what to do instead; no password in the answer', async () => {
    const r = await app.api(`${SETTINGS}:dataSources`);
    expect(r.status).toBe(200);
    expect(r.body.data).toEqual([
      { key: 'ext_down', title: 'ext_down source', type: 'postgres', supported: true },
      { key: 'ext_maria', title: 'ext_maria source', type: 'mariadb', supported: true },
      { key: 'ext_mssql', title: 'ext_mssql source', type: 'mssql', supported: false, reason: expect.stringContaining('sqlpackage') },
      { key: 'ext_pg', title: 'ext_pg source', type: 'postgres', supported: true },
    ]);
    expect(JSON.stringify(r.body)).not.toContain(SECRET);
  });

  it('backs them up only when asked, each with its own tool; SQL Server is skipped with the reason, not fatal', async () => {
    const plainStart = await ok(`${TASKS}:create`, { includeUploads: false, includePlugins: false });
    const plain = await waitTaskApi(app, plainStart.id, 600000);
    expect(plain.summary).toMatchObject({ dataSources: [], skippedDataSources: [] });

    const started = await ok(`${TASKS}:create`, { includeUploads: false, includePlugins: false, dataSources: ['ext_pg', 'ext_maria', 'ext_mssql'] });
    backup = await waitTaskApi(app, started.id, 600000);
    expect(backup).toMatchObject({ status: 'succeeded', error: null });
    expect(backup.summary.dataSources).toEqual(['ext_maria', 'ext_pg']);
    expect(backup.summary.skippedDataSources).toEqual([{ key: 'ext_mssql', type: 'mssql', reason: 'DATASOURCE_NO_TOOL' }]);
    const file = path.join(app.storage, STORAGE_DIR, 'main', backup.fileName);
    const manifest = await readManifest(file);
    expect(manifest.dataSources).toEqual([
      { key: 'ext_maria', type: 'mariadb', dialect: 'mariadb', database: MARIA_DB, dump: 'sources/ext_maria/db.dump' },
      { key: 'ext_pg', type: 'postgres', dialect: 'postgres', database: PG_DB, dump: 'sources/ext_pg/db.dump' },
    ]);
    // The manifest names each database, never its credentials (the main database's own dump does hold the
    // dataSources table, options included: set a backup password when archives leave the server).
    expect(JSON.stringify(manifest)).not.toContain(SECRET);
    expect(JSON.stringify(await ok(`${TASKS}:list?pageSize=100`))).not.toContain(SECRET);
  });

  it('a source whose server is down is skipped with the tool\'s words; the backup still succeeds', async () => {
    const started = await ok(`${TASKS}:create`, { includeUploads: false, includePlugins: false, dataSources: ['ext_down', 'ext_pg'] });
    const done = await waitTaskApi(app, started.id, 600000);
    expect(done).toMatchObject({ status: 'succeeded', error: null });
    expect(done.summary.dataSources).toEqual(['ext_pg']);
    expect(done.summary.skippedDataSources).toEqual([
      { key: 'ext_down', type: 'postgres', reason: 'DATASOURCE_DUMP_FAILED', detail: expect.stringMatching(/connect|refused|server/i) },
    ]);
    expect(JSON.stringify(done)).not.toContain(SECRET);
  });

  it('a restore of the application leaves the external databases alone', async () => {
    await damage(PG);
    await damage(MARIA);
    const damaged = { pg: await items(PG), maria: await items(MARIA) };
    const task = await restore({});
    expect(task.options).toMatchObject({ apps: ['main'], dataSources: [] });
    expect(await items(PG)).toEqual(damaged.pg);
    expect(await items(MARIA)).toEqual(damaged.maria);
  });

  it('restores each external database when named, and only that one', async () => {
    await restore({ apps: [], dataSources: ['ext_pg'] });
    expect(await items(PG)).toEqual(before.pg);
    expect(await pgView()).toEqual([{ n: 1 }]);
    expect(await items(MARIA)).not.toEqual(before.maria);
    await restore({ apps: [], dataSources: ['ext_maria'] });
    expect(await items(MARIA)).toEqual(before.maria);
  });

  it('restores the application and both external databases together', async () => {
    await damage(PG);
    await damage(MARIA);
    const task = await restore({ apps: ['main'], dataSources: ['ext_pg', 'ext_maria'] });
    expect(task.options).toMatchObject({ apps: ['main'], dataSources: ['ext_maria', 'ext_pg'] });
    expect(await items(PG)).toEqual(before.pg);
    expect(await pgView()).toEqual([{ n: 1 }]);
    expect(await items(MARIA)).toEqual(before.maria);
  });

  it('refuses a source the backup does not carry', async () => {
    const r = await app.api(`${TASKS}:restore`, { body: { taskId: backup.id, apps: [], dataSources: ['ext_mssql'] } });
    expect([r.status, r.body.errors?.[0]?.code]).toEqual([400, 'DATASOURCE_NOT_IN_BACKUP']);
  });
});
