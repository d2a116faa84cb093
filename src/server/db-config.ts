import path from 'path';
import type { DbConfig } from './dumpers/types';

type Dialect = DbConfig['dialect'];

interface SequelizeLikeOptions {
  dialect?: string;
  host?: string;
  port?: number | string;
  database?: string;
  username?: string;
  password?: string;
  schema?: string;
  tablePrefix?: string;
  storage?: string;
}

function normaliseDialect(d: string | undefined): Dialect {
  const dialect = (d || 'sqlite').toLowerCase();
  if (dialect === 'postgres' || dialect === 'postgresql') return 'postgres';
  if (dialect === 'kingbase') return 'kingbase';
  if (dialect === 'mysql') return 'mysql';
  if (dialect === 'mariadb') return 'mariadb';
  if (dialect === 'sqlite') return 'sqlite';
  throw new Error(`Unsupported database dialect: ${d}`);
}

/** From the running app's database options (app.db.options). */
export function dbConfigFromOptions(opts: SequelizeLikeOptions, cwd = process.cwd()): DbConfig {
  const dialect = normaliseDialect(opts.dialect);
  const port = opts.port ? Number(opts.port) : undefined;
  return {
    dialect,
    host: opts.host || (dialect === 'sqlite' ? undefined : '127.0.0.1'),
    port: port || defaultPort(dialect),
    database: opts.database,
    user: opts.username,
    password: opts.password,
    schema: opts.schema || undefined,
    tablePrefix: opts.tablePrefix || undefined,
    storage: opts.storage && opts.storage !== ':memory:' ? path.resolve(cwd, opts.storage) : opts.storage,
  };
}

/** From DB_* variables, as NocoBase reads them: used where the app is not booted (standalone CLI). */
export function dbConfigFromEnv(env: NodeJS.ProcessEnv, cwd = process.cwd()): DbConfig {
  return dbConfigFromOptions(
    {
      dialect: env.DB_DIALECT,
      host: env.DB_HOST,
      port: env.DB_PORT,
      database: env.DB_DATABASE,
      username: env.DB_USER,
      password: env.DB_PASSWORD,
      schema: env.DB_SCHEMA,
      tablePrefix: env.DB_TABLE_PREFIX,
      storage: env.DB_STORAGE,
    },
    cwd,
  );
}

export function defaultPort(dialect: Dialect): number | undefined {
  return { postgres: 5432, kingbase: 54321, mysql: 3306, mariadb: 3306, sqlite: undefined }[dialect];
}

/** Dialects whose dumps are interchangeable: MySQL and MariaDB share a dump format (with care). */
export function sameFamily(a: Dialect, b: Dialect): boolean {
  const family = (d: Dialect) => (d === 'mariadb' || d === 'mysql' ? 'mysql' : d);
  return family(a) === family(b);
}
