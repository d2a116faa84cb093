import { createPostgresDumper } from './postgres';

/** KingbaseES is PostgreSQL-derived: same options, its own tool names and port. */
export const kingbaseDumper = createPostgresDumper({
  dialect: 'kingbase',
  defaultTools: { dump: 'sys_dump', restore: 'sys_restore', client: 'ksql' },
  defaultPort: 54321,
  // libkci renamed the PG* variables to KINGBASE_*; older builds still read PGPASSWORD.
  passwordEnv: ['KINGBASE_PASSWORD', 'PGPASSWORD'],
  upgradeHint: () => "use the sys_dump in the bin directory of the KingbaseES server's installation",
});
