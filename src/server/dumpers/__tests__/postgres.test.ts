import { getDumper, getToolDumper } from '..';
import { kingbaseDumper } from '../kingbase';
import { clientTooOld, pgMajor, postgresDumper as pg } from '../postgres';
import type { DbConfig, ToolInfo } from '../types';

const cfg: DbConfig = {
  dialect: 'postgres',
  host: 'db.local',
  port: 5433,
  user: 'nocobase',
  password: 'pw-S3cret!',
  database: 'nocobase',
};
const tool: ToolInfo = pg.parseToolVersion('pg_dump (PostgreSQL) 15.19 (Debian 15.19-0+deb12u1)\n');
const opts = { tmpDir: '/tmp/bm' };
const connection = ['--no-password', '-h', 'db.local', '-p', '5433', '-U', 'nocobase'];

describe('postgres tool version', () => {
  it('parses pg_dump --version', () => {
    expect(tool).toEqual({
      command: 'pg_dump',
      version: '15.19',
      flavour: 'postgres',
      tools: { dump: 'pg_dump', restore: 'pg_restore', client: 'psql' },
    });
    expect(pg.parseToolVersion('pg_dump (PostgreSQL) 16.4\n').version).toBe('16.4');
    expect(pg.parseToolVersion('pg_dump (PostgreSQL) 17beta1').version).toBe('17beta1');
    expect(() => pg.parseToolVersion('')).toThrow(/no version/);
  });

  it('asks the configured dump tool, and takes restore/client from the same directory', () => {
    const paths = { dump: '/usr/lib/postgresql/16/bin/pg_dump' };
    expect(pg.versionSpec(paths)).toEqual({ command: paths.dump, args: ['--version'], env: {} });
    expect(pg.versionSpec()).toEqual({ command: 'pg_dump', args: ['--version'], env: {} });
    const info = pg.parseToolVersion('pg_dump (PostgreSQL) 16.4', paths);
    expect(info.tools).toEqual({
      dump: paths.dump,
      restore: '/usr/lib/postgresql/16/bin/pg_restore',
      client: '/usr/lib/postgresql/16/bin/psql',
    });
    expect(pg.restoreSpec(cfg, info, opts, '/x.dump').spec.command).toBe('/usr/lib/postgresql/16/bin/pg_restore');
    const explicit = pg.parseToolVersion('pg_dump (PostgreSQL) 16.4', { ...paths, client: '/opt/psql' });
    expect(pg.resetSpec(cfg, explicit, opts).command).toBe('/opt/psql');
  });
});

describe('postgres dumpSpec', () => {
  it('builds the pg_dump argv; the password only in PGPASSWORD', () => {
    const spec = pg.dumpSpec(cfg, tool, opts);
    expect(spec).toEqual({
      command: 'pg_dump',
      // Only the app's schema: public when DB_SCHEMA is not set (sub-applications' schemas have their own dumps).
      args: ['-Fc', '-b', '--quote-all-identifiers', ...connection, '-n', '"public"', 'nocobase'],
      env: { PGPASSWORD: 'pw-S3cret!' },
    });
    expect(spec.args.join(' ')).not.toContain('pw-S3cret!');
    expect(pg.dumpPlan(cfg, tool, opts)).toEqual([spec]);
  });

  it('limits to the schema and leaves out excluded table data, quoting odd names as literal patterns', () => {
    const schemaCfg = { ...cfg, schema: 'My "Odd".Schema' };
    const spec = pg.dumpSpec(schemaCfg, tool, { ...opts, excludeTableData: ['runtime*log', 'we"ird.t?'] });
    expect(spec.args).toEqual([
      '-Fc',
      '-b',
      '--quote-all-identifiers',
      ...connection,
      '-n',
      '"My ""Odd"".Schema"',
      '--exclude-table-data="My ""Odd"".Schema"."runtime*log"',
      '--exclude-table-data="My ""Odd"".Schema"."we""ird.t?"',
      'nocobase',
    ]);
  });

  it('qualifies excluded tables with public when no schema is set', () => {
    const spec = pg.dumpSpec(cfg, tool, { ...opts, excludeTableData: ['sessions'] });
    expect(spec.args).toContain('--exclude-table-data="public"."sessions"');
  });

  it('omits -h without a host, -U without a user, PGPASSWORD without a password, and defaults the port', () => {
    const spec = pg.dumpSpec({ dialect: 'postgres', database: 'db' }, tool, opts);
    expect(spec.args).toEqual(['-Fc', '-b', '--quote-all-identifiers', '--no-password', '-p', '5432', '-n', '"public"', 'db']);
    expect(spec.env).toEqual({});
  });

  it('passes database names libpq would expand as a quoted conninfo', () => {
    expect(pg.dumpSpec({ ...cfg, database: 'host=evil' }, tool, opts).args.pop()).toBe("dbname='host=evil'");
    expect(pg.dumpSpec({ ...cfg, database: "-it's" }, tool, opts).args.pop()).toBe("dbname='-it\\'s'");
    expect(pg.dumpSpec({ ...cfg, database: 'postgresql://x' }, tool, opts).args.pop()).toBe("dbname='postgresql://x'");
    expect(pg.dumpSpec({ ...cfg, database: 'Plain Name' }, tool, opts).args.pop()).toBe('Plain Name');
  });

  it('refuses to build without a database name', () => {
    expect(() => pg.dumpSpec({ ...cfg, database: undefined }, tool, opts)).toThrow(/database name/);
  });
});

describe('postgres parallel dump and restore', () => {
  it('dumps in the directory format with -j into the given folder; the password only in PGPASSWORD', () => {
    const spec = pg.dumpSpec(cfg, tool, { ...opts, directory: { path: '/tmp/bm/db.dir', jobs: 3 }, excludeTableData: ['logs'] });
    expect(spec).toEqual({
      command: 'pg_dump',
      args: ['-Fd', '-j', '3', '-f', '/tmp/bm/db.dir', '-b', '--quote-all-identifiers', ...connection, '-n', '"public"', '--exclude-table-data="public"."logs"', 'nocobase'],
      env: { PGPASSWORD: 'pw-S3cret!' },
    });
    expect(spec.args).not.toContain('-Fc');
    expect(spec.args.join(' ')).not.toContain('pw-S3cret!');
    expect(pg.dumpPlan(cfg, tool, { ...opts, directory: { path: '/d', jobs: 2 } })).toHaveLength(1);
    expect(pg.directoryFormat).toBe(true);
  });

  it('restores with -j N only when asked for more than one job', () => {
    const args = (jobs?: number) => pg.restoreSpec(cfg, tool, { ...opts, jobs }, '/tmp/bm/db.dir').spec.args;
    expect(args(4)).toEqual(['--clean', '--if-exists', '--no-owner', '--no-acl', '--exit-on-error', ...connection, '-j', '4', '--schema=public', '-d', 'nocobase', '/tmp/bm/db.dir']);
    // pg_restore -j cannot run in one transaction: the restore never asks for one.
    expect(args(4)).not.toContain('--single-transaction');
    expect(args(1)).not.toContain('-j');
    expect(args()).not.toContain('-j');
    expect(args(4).join(' ')).not.toContain('pw-S3cret!');
  });

  it('KingbaseES shares it with its own tools', () => {
    const k = kingbaseDumper.dumpSpec({ ...cfg, dialect: 'kingbase' }, tool, { ...opts, directory: { path: '/d', jobs: 2 } });
    expect(k.args.slice(0, 5)).toEqual(['-Fd', '-j', '2', '-f', '/d']);
    expect(kingbaseDumper.directoryFormat).toBe(true);
  });
});

describe('postgres restore and reset', () => {
  it('restores with pg_restore from the file', () => {
    const plan = pg.restoreSpec(cfg, tool, opts, '/tmp/bm/main.dump');
    expect(plan).toEqual({
      spec: {
        command: 'pg_restore',
        args: [
          '--clean',
          '--if-exists',
          '--no-owner',
          '--no-acl',
          '--exit-on-error',
          ...connection,
          '--schema=public',
          '-d',
          'nocobase',
          '/tmp/bm/main.dump',
        ],
        env: { PGPASSWORD: 'pw-S3cret!' },
      },
    });
    expect(plan.stdinFile).toBeUndefined();
  });

  it('lists the archive with pg_restore -l, connecting nowhere and without the password', () => {
    expect(pg.tocSpec?.(tool, '/tmp/bm/main.dump')).toEqual({ command: 'pg_restore', args: ['-l', '/tmp/bm/main.dump'], env: {} });
  });

  it('resets public and restores its grant', () => {
    const spec = pg.resetSpec(cfg, tool, opts);
    expect(spec.command).toBe('psql');
    expect(spec.args).toEqual([
      '-X',
      '-v',
      'ON_ERROR_STOP=1',
      '-q',
      ...connection,
      '-d',
      'nocobase',
      '-c',
      'DO $bm_reset$ DECLARE ext text; exts text[]; BEGIN ' +
        "SELECT coalesce(array_agg(e.extname::text), '{}') INTO exts FROM pg_extension e " +
        "JOIN pg_namespace n ON n.oid = e.extnamespace WHERE n.nspname = E'public'; " +
        'DROP SCHEMA IF EXISTS "public" CASCADE; CREATE SCHEMA "public"; GRANT ALL ON SCHEMA "public" TO PUBLIC; ' +
        "FOREACH ext IN ARRAY exts LOOP EXECUTE format('CREATE EXTENSION IF NOT EXISTS %I SCHEMA %I', ext, E'public'); END LOOP; " +
        'END $bm_reset$;',
    ]);
    expect(spec.env).toEqual({ PGPASSWORD: 'pw-S3cret!' });
  });

  it('resets a custom schema with its name quoted', () => {
    const sql = pg.resetSpec({ ...cfg, schema: "app\"s'; DROP" }, tool, opts).args.pop();
    expect(sql).toContain('DROP SCHEMA IF EXISTS "app""s\'; DROP" CASCADE; CREATE SCHEMA "app""s\'; DROP"; FOREACH');
    expect(sql).toContain("WHERE n.nspname = E'app\"s''; DROP';");
    expect(() => pg.resetSpec({ ...cfg, schema: 'x$bm_reset$y' }, tool, opts)).toThrow(/schema name/);
  });

  it('with DB_TABLE_PREFIX dumps, lists and resets only the prefixed relations of the schema', () => {
    const shared = { ...cfg, tablePrefix: 'nb_' };
    const dump = pg.dumpSpec(shared, tool, opts).args;
    expect(dump).toContain('-t');
    expect(dump[dump.indexOf('-t') + 1]).toBe('"public"."nb_"*');
    expect(dump).not.toContain('-n');
    expect(pg.listTablesSpec(shared, tool).args.pop()).toContain("AND left(table_name::text, char_length(E'nb_')) = E'nb_'");
    const reset = pg.resetSpec(shared, tool, opts).args.pop() ?? '';
    expect(reset).not.toMatch(/DROP SCHEMA|CASCADE/);
    expect(reset).toContain("EXECUTE 'DROP TABLE IF EXISTS ' || names;");
    expect(reset).toContain("left(c.relname::text, char_length(E'nb_')) = E'nb_'");
  });

  it('restores exactly the target schema', () => {
    const args = pg.restoreSpec({ ...cfg, schema: 'sub1' }, tool, opts, '/f').spec.args;
    expect(args.filter((a) => a.startsWith('--schema') || a === '-n')).toEqual(['--schema=sub1']);
  });
});

describe('postgres queries', () => {
  it('asks the server version with psql -tA', () => {
    const spec = pg.serverVersionSpec(cfg, tool);
    expect(spec.command).toBe('psql');
    const flags = ['-X', '-v', 'ON_ERROR_STOP=1', '-t', '-A'];
    expect(spec.args).toEqual([...flags, ...connection, '-d', 'nocobase', '-c', 'SHOW server_version']);
    expect(pg.parseServerVersion('15.20 (Debian 15.20-0+deb12u1)\n')).toBe('15.20 (Debian 15.20-0+deb12u1)');
  });

  it('lists the base tables of the schema as JSON', () => {
    const sql = pg.listTablesSpec({ ...cfg, schema: "it's\\" }, tool).args.pop();
    expect(sql).toContain("table_schema = E'it''s\\\\'");
    expect(sql).toContain("table_type = 'BASE TABLE'");
    expect(pg.listTablesSpec(cfg, tool).args.pop()).toContain("table_schema = E'public'");
    expect(pg.parseTableList('["a","b c","x|y"]\n')).toEqual(['a', 'b c', 'x|y']);
    expect(() => pg.parseTableList('[1]')).toThrow();
  });

  it('counts rows of one table', () => {
    expect(pg.countRowsSpec(cfg, tool, 'We"ird').args.pop()).toBe('SELECT count(*) FROM "public"."We""ird"');
    expect(pg.countRowsSpec({ ...cfg, schema: 's' }, tool, 't').args.pop()).toBe('SELECT count(*) FROM "s"."t"');
    expect(pg.parseCount('42\n')).toBe(42);
    expect(() => pg.parseCount('')).toThrow();
    expect(() => pg.parseCount('ERROR')).toThrow();
  });
});

describe('clientTooOld', () => {
  it('rejects a pg_dump older than the server, with the package to install', () => {
    const message = clientTooOld('15.19', '16.2 (Debian 16.2-1.pgdg120+2)');
    expect(message).toContain('pg_dump 15.19 is older than the database server (16.2 (Debian 16.2-1.pgdg120+2))');
    expect(message).toContain('apt-get install postgresql-client-16');
    expect(clientTooOld('9.6.24', '10.5')).toContain('postgresql-client-10');
    expect(clientTooOld('9.5.1', '9.6.3')).toContain('postgresql-client-9.6');
  });

  it('accepts an equal or newer client, and unparseable versions', () => {
    expect(clientTooOld('15.19', '15.20 (Debian 15.20-0+deb12u1)')).toBeNull();
    expect(clientTooOld('17.0', '15.2')).toBeNull();
    expect(clientTooOld('9.6.1', '9.5.9')).toBeNull();
    expect(clientTooOld('V008R006C008B0014', '12.1')).toBeNull();
    expect(pgMajor('15.19')).toEqual({ value: 15, label: '15' });
    expect(pgMajor('9.6.24')).toEqual({ value: 9.6, label: '9.6' });
  });
});

describe('kingbase', () => {
  const kb = kingbaseDumper;
  const kcfg: DbConfig = { ...cfg, dialect: 'kingbase', port: undefined };
  const ktool = kb.parseToolVersion('sys_dump (Kingbase) V008R006C008B0014\n');

  it('uses sys_dump/sys_restore/ksql and port 54321', () => {
    expect(kb.versionSpec().command).toBe('sys_dump');
    expect(ktool).toMatchObject({ command: 'sys_dump', version: 'V008R006C008B0014', flavour: 'kingbase' });
    const dump = kb.dumpSpec(kcfg, ktool, opts);
    expect(dump.command).toBe('sys_dump');
    const connect = ['--no-password', '-h', 'db.local', '-p', '54321', '-U', 'nocobase'];
    expect(dump.args).toEqual(['-Fc', '-b', '--quote-all-identifiers', ...connect, '-n', '"public"', 'nocobase']);
    expect(dump.env).toEqual({ KINGBASE_PASSWORD: 'pw-S3cret!', PGPASSWORD: 'pw-S3cret!' });
    expect(kb.restoreSpec(kcfg, ktool, opts, '/f').spec.command).toBe('sys_restore');
    expect(kb.resetSpec(kcfg, ktool, opts).command).toBe('ksql');
    expect(kb.defaultPort).toBe(54321);
  });

  it('points at the server installation when the client is too old', () => {
    expect(kb.clientTooOld('11.0', '12.1')).toContain('KingbaseES');
    expect(kb.clientTooOld('V008R006C008B0014', '12.1')).toBeNull();
  });
});

describe('getDumper', () => {
  it('maps every dialect', () => {
    expect(getDumper('postgres')).toBe(pg);
    expect(getDumper('kingbase')).toBe(kingbaseDumper);
    expect((getDumper('mysql') as { dialect: string }).dialect).toBe('mysql');
    expect((getDumper('mariadb') as { dialect: string }).dialect).toBe('mariadb');
    expect(getDumper('sqlite')).toEqual({ kind: 'file', dialect: 'sqlite' });
    expect(getToolDumper('postgres')).toBe(pg);
  });

  it('rejects unknown dialects and tool-less ones where tools are needed', () => {
    expect(() => getDumper('oracle')).toThrow(/Unsupported database dialect: oracle/);
    expect(() => getDumper('constructor')).toThrow(/Unsupported/);
    expect(() => getToolDumper('sqlite')).toThrow(/without client tools/);
  });
});
