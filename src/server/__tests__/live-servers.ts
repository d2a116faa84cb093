import { randomBytes } from 'crypto';
import { captureTool } from '../process/run';

// The live PostgreSQL and MariaDB servers of the *.real.test.ts files, through their own clients (trust auth, root
// with an empty password; see README): one statement or script, the answer as unaligned text.

export const psqlIn = (database: string, sql: string) =>
  captureTool({ command: 'psql', args: ['-X', '-q', '-tA', '-v', 'ON_ERROR_STOP=1', '-h', '127.0.0.1', '-U', 'postgres', '-d', database, '-c', sql], env: {} });

/** `database` null: no default database (CREATE DATABASE ...). Raw output (-r): values come back unescaped. */
export const mariadbIn = (database: string | null, sql: string) =>
  captureTool({ command: 'mariadb', args: ['-h', '127.0.0.1', '-u', 'root', '-N', '-B', '-r', '-e', sql, ...(database ? [database] : [])], env: {} });

/** A scratch database of one name on both servers, for one test file: create() in beforeAll, drop() in afterAll. */
export function scratchDatabases(prefix: string) {
  const name = `${prefix}_${randomBytes(4).toString('hex')}`;
  return {
    name,
    psql: (sql: string, db = name) => psqlIn(db, sql),
    maria: (sql: string, db: string | null = name) => mariadbIn(db, sql),
    async create(): Promise<void> {
      await psqlIn('postgres', `CREATE DATABASE ${name}`);
      await mariadbIn(null, `CREATE DATABASE ${name} CHARACTER SET utf8mb4`);
    },
    async drop(): Promise<void> {
      await psqlIn('postgres', `DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await mariadbIn(null, `DROP DATABASE IF EXISTS ${name}`);
    },
  };
}
