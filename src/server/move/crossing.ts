/**
 * The crossings a move supports: SQLite's file read row by row into a server database (move-database.ts), and a
 * PostgreSQL, MySQL or MariaDB dump read into SQLite (move-into-sqlite.ts).
 */
export const canMove = (from: string, to: string): boolean =>
  (from === 'sqlite' && to !== 'sqlite') || (to === 'sqlite' && (from === 'postgres' || from === 'mysql' || from === 'mariadb'));
