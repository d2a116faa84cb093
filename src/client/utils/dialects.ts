const NAMES: Record<string, string> = {
  postgres: 'PostgreSQL',
  postgresql: 'PostgreSQL',
  mysql: 'MySQL',
  mariadb: 'MariaDB',
  sqlite: 'SQLite',
  kingbase: 'KingbaseES',
};

/** 'postgres' → 'PostgreSQL'; an unknown dialect is shown as it is. */
export function dialectLabel(dialect: string | null | undefined): string {
  if (!dialect) return '';
  return NAMES[dialect.toLowerCase()] ?? dialect;
}
