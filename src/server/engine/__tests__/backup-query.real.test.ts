// A backup given a connection to its database (the app's, BackupInput.query) asks it, not a client process, for the
// server version, the table list and the row counts: the client tool is not needed at all, and the manifest records
// what the client would have said. Real PostgreSQL 15 and MariaDB 10.11 on 127.0.0.1; the QueryText here goes through
// the test's own client (live-servers.ts), counted, while the backup's client path points at nothing.
import fs from 'fs';
import os from 'os';
import path from 'path';
import { NAMESPACE } from '../../../constants';
import { readManifest } from '../../archive/reader';
import { getDumper } from '../../dumpers';
import type { DbConfig, QueryText, ToolDumper } from '../../dumpers/types';
import { BackupError } from '../../errors';
import { scratchDatabases } from '../../__tests__/live-servers';
import { createBackup } from '../backup';
import { countToolRows } from '../row-counts';
import { checkTools } from '../tool-check';

jest.setTimeout(120_000);

const dbs = scratchDatabases('bm_bq');
let tmp: string;

beforeAll(async () => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'bm-bq-'));
  await dbs.create();
  for (const run of [dbs.psql, dbs.maria]) {
    await run('CREATE TABLE items (id INT PRIMARY KEY, name VARCHAR(20))');
    await run("INSERT INTO items VALUES (1, 'a'), (2, 'b'), (3, 'c')");
    await run('CREATE TABLE empty_one (id INT PRIMARY KEY)');
  }
});

afterAll(async () => {
  await dbs.drop();
  fs.rmSync(tmp, { recursive: true, force: true });
});

const cases = [
  { dialect: 'postgres' as const, db: (): DbConfig => ({ dialect: 'postgres', host: '127.0.0.1', port: 5432, user: 'postgres', database: dbs.name }), ask: (sql: string) => dbs.psql(sql) },
  { dialect: 'mariadb' as const, db: (): DbConfig => ({ dialect: 'mariadb', host: '127.0.0.1', port: 3306, user: 'root', database: dbs.name }), ask: (sql: string) => dbs.maria(sql) },
];

describe.each(cases)('$dialect', ({ dialect, db, ask }) => {
  const NO_CLIENT = { client: path.join(os.tmpdir(), 'bm-no-such-client') };

  function counted(): { query: QueryText; asked: string[] } {
    const asked: string[] = [];
    return { asked, query: async (sql) => (asked.push(sql), ask(sql)) };
  }

  const backUp = (label: string, query?: QueryText) =>
    createBackup({
      db: db(),
      app: { name: 'main', version: '2.2.15' },
      plugin: { name: NAMESPACE, version: '0.0.0' },
      storage: path.join(tmp, 'storage'),
      archivesDir: path.join(tmp, `${dialect}-archives`),
      tmpDir: path.join(tmp, `${dialect}-tmp`),
      fileName: `${label}.nbbm`,
      include: { uploads: false, plugins: false },
      excludeTableData: [],
      origin: 'manual',
      tools: NO_CLIENT,
      query,
    });

  it('needs no client process when given a connection, and records what the client would say', async () => {
    const dumper = getDumper(dialect) as ToolDumper;
    const viaClient = await checkTools(dumper, db(), tmp);
    const clientCounts = await countToolRows(dumper, db(), viaClient.tool, { tmpDir: tmp });
    expect(clientCounts).toEqual({ empty_one: 0, items: 3 });

    const { query, asked } = counted();
    const result = await backUp('with-query', query);
    const manifest = await readManifest(result.filePath);
    expect(manifest.database.serverVersion).toBe(viaClient.serverVersion);
    expect(manifest.database.tables).toEqual(clientCounts);
    expect(asked).toEqual([dumper.serverVersionSql, dumper.listTablesSql(db()), dumper.countRowsBatchSql(db(), ['empty_one', 'items'])]);
  });

  it('without one, asks the client (which is missing here): the check fails before anything is written', async () => {
    await expect(backUp('without-query')).rejects.toThrow(BackupError);
    expect(fs.existsSync(path.join(tmp, `${dialect}-archives`, 'without-query.nbbm'))).toBe(false);
    expect(fs.readdirSync(path.join(tmp, `${dialect}-tmp`)).filter((f) => f.startsWith('without-query'))).toEqual([]);
  });
});
