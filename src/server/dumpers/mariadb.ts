import { createMysqlDumper } from './mysql';

/** MariaDB: the MySQL family with MariaDB's tool names (flavour still comes from the tool's own version output). */
export const mariadbDumper = createMysqlDumper({
  dialect: 'mariadb',
  defaultTools: { dump: 'mariadb-dump', restore: 'mariadb', client: 'mariadb' },
});
