import type { DbConfig } from '../dumpers/types';

export interface ManifestEntry {
  /** Path inside the archive, forward slashes, relative: 'db/main.dump', 'storage/uploads/a.png'. */
  path: string;
  size: number;
  sha256: string;
}

export interface Manifest {
  format: string; // FORMAT
  formatVersion: number; // FORMAT_VERSION
  createdAt: string; // ISO
  app: { name: string; version: string };
  plugin: { name: string; version: string };
  database: {
    dialect: DbConfig['dialect'];
    serverVersion: string;
    tool: string; // e.g. 'pg_dump'
    toolVersion: string;
    /** 'mariadb' or 'mysql' for the MySQL family, the dialect otherwise (ToolInfo.flavour). Optional: added compatibly. */
    flavour?: string;
    schema?: string;
    tablePrefix?: string;
    /** The dump file inside the archive. */
    dump: string;
    /** Tables whose data was left out (schema kept). */
    excludedTableData: string[];
    /** Row count per table at dump time, for verify. */
    tables?: Record<string, number>;
  };
  /** Parts included: 'database', 'uploads', 'plugins', 'keys'. */
  parts: string[];
  entries: ManifestEntry[];
  origin?: string;
}
