import { kingbaseDumper } from '../kingbase';
import { mariadbDumper } from '../mariadb';
import { mysqlDumper } from '../mysql';
import { postgresDumper } from '../postgres';
import type { CommandSpec, DbConfig, ToolDumper, ToolPaths } from '../types';

// The server's version is asked beside the tool's own (engine/tool-check.ts), with the tool as configured before its
// version is read: that query must be the one the checked tool would run, whatever paths are configured.

const VERSIONS: Record<string, string> = {
  postgres: 'pg_dump (PostgreSQL) 15.19 (Debian 15.19-0+deb12u1)\n',
  kingbase: 'sys_dump (KingbaseES) V008R006\n',
  mariadb: 'mariadb-dump  Ver 10.19 Distrib 10.11.19-MariaDB, for debian-linux-gnu (x86_64)\n',
  mysql: 'mysqldump  Ver 8.0.36 for Linux on x86_64 (MySQL Community Server - GPL)\n',
};

const cfgOf = (dialect: DbConfig['dialect']): DbConfig => ({ dialect, host: 'db', port: 5433, user: 'u', password: 'secret', database: 'nb' });

/** The spec without the random name of a MySQL-family option file. */
const comparable = (spec: CommandSpec) => JSON.stringify(spec).replace(/bm-[0-9a-f]{16}\.cnf/g, 'bm-X.cnf');

describe.each<[string, ToolDumper]>([
  ['postgres', postgresDumper],
  ['kingbase', kingbaseDumper],
  ['mariadb', mariadbDumper],
  ['mysql', mysqlDumper],
])('%s: the provisional tool', (dialect, dumper) => {
  it.each<[string, ToolPaths | undefined]>([
    ['defaults', undefined],
    ['a dump tool path', { dump: `/opt/${dialect}/bin/${dumper.defaultTools.dump}` }],
    ['every path', { dump: '/a/dump', restore: '/b/restore', client: '/c/client' }],
  ])('asks the server version as the checked tool would (%s)', (_what, paths) => {
    const cfg = cfgOf(dialect as DbConfig['dialect']);
    const checked = dumper.parseToolVersion(VERSIONS[dialect], paths);
    const provisional = dumper.provisionalTool(paths);
    expect(provisional.command).toBe(checked.command);
    expect(comparable(dumper.serverVersionSpec(cfg, provisional, { tmpDir: '/tmp/x' }))).toBe(
      comparable(dumper.serverVersionSpec(cfg, checked, { tmpDir: '/tmp/x' })),
    );
  });
});
