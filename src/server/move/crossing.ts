/** The crossings a move supports: SQLite's file read row by row into a server database (move-database.ts). */
export const canMove = (from: string, to: string): boolean => from === 'sqlite' && to !== 'sqlite';
