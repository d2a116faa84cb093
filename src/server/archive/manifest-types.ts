import type { DbConfig } from '../dumpers/types';

export interface ManifestEntry {
  /** Path inside the archive, forward slashes, relative: 'db/main.dump', 'storage/uploads/a.png'. */
  path: string;
  /** Plaintext size and SHA-256 (also in encrypted archives). */
  size: number;
  sha256: string;
  /**
   * Encrypted archives only: the opaque ZIP entry holding this entry's ciphertext ('e/000001'), so that real names
   * appear only inside the encrypted manifest. Absent in plain archives, where the ZIP entry is named `path`.
   */
  stored?: string;
  /** Files of the storage folders: permission bits at backup time (0o644...), applied on restore. */
  mode?: number;
}

export interface FolderMode {
  /** A folder holding listed entries: 'storage/uploads', 'storage/uploads/2024'. */
  path: string;
  mode: number;
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
    /**
     * The dump file inside the archive; with dumpFormat 'directory', the folder holding the dump's files (every entry
     * under `<dump>/`, `<dump>/toc.dat` among them).
     */
    dump: string;
    /**
     * PostgreSQL family, since parallel dumps: pg_dump's format, 'custom' (one stream, -Fc) or 'directory' (-Fd -j).
     * Absent: written before (custom for PostgreSQL and KingbaseES), or another dialect.
     */
    dumpFormat?: 'custom' | 'directory';
    /** The jobs pg_dump ran with (1 for the custom format); recorded with dumpFormat. */
    dumpJobs?: number;
    /** Tables whose data was left out (schema kept). */
    excludedTableData: string[];
    /** Row count per table at dump time, for verify. */
    tables?: Record<string, number>;
  };
  /** Parts included: 'database', 'uploads', 'plugins', 'keys'. */
  parts: string[];
  entries: ManifestEntry[];
  origin?: string;
  /** The admin's note at backup time ("before the v2.3 upgrade"). Optional: added compatibly. */
  note?: string;
  /** Sub-applications (multi-app manager) carried, each with its own dump. Optional: added compatibly. */
  apps?: SubAppDump[];
  /** External data sources carried, each with its dump. Optional: added compatibly. */
  dataSources?: DataSourceDump[];
  /** Sources the admin asked for that could not be carried, and why. */
  skippedDataSources?: SkippedDataSource[];
  /** Permission bits of the storage folders that hold entries (folders are not entries). Optional: added compatibly. */
  folders?: FolderMode[];
  /** Items of the storage folders the backup could not carry, the first MAX_SKIPPED_LISTED (manifest.ts). */
  skippedFiles?: SkippedFile[];
  /** How many items were skipped in all (the list may stop short). Both fields are absent when none was. */
  skippedFileCount?: number;
  /** What a restore must match (restore pre-flight, docs/format.md). Absent in archives made before it. */
  requirements?: Requirements;
}

/**
 * A manifest as the archive writer answers it: everything but the entries, which it streamed into the archive and
 * does not keep (memory stays flat whatever the file count); their count and content bytes instead. readManifest
 * gives the whole manifest back.
 */
export type ManifestHead = Omit<Manifest, 'entries'> & { entryCount: number; entryBytes: number };

/** A plugin enabled in the application the backup was made of. */
export interface RequiredPlugin {
  name: string;
  packageName?: string;
  version: string;
  enabled: true;
  /** The archive's storage/plugins carries its package (a restore brings it along). */
  inArchive: boolean;
}

/** What a restore target must match; recorded at backup time, checked by preflight/checks.ts. */
export interface Requirements {
  nocobaseVersion: string;
  /** The enabled plugins; absent when they could not be read (the standalone command's backups). */
  plugins?: RequiredPlugin[];
  db: {
    /** DB_UNDERSCORED: table and column names in snake_case. */
    underscored: boolean;
    schema?: string;
    tablePrefix?: string;
    /** MySQL/MariaDB: @@lower_case_table_names of the server. */
    lowerCaseTableNames?: number;
    serverVersion: string;
  };
  dumpFormat: {
    tool: string;
    version: string;
    /** pg_dump custom format: the archive version of the dump's header ('1.14'), read from the dump itself. */
    formatVersion?: string;
  };
}

export interface SkippedFile {
  /** Where it would be in the archive: 'storage/uploads/<relative path>' (the name as found, may be unsafe). */
  path: string;
  /** 'symlink', 'not a regular file' (FIFO, socket, device), 'unsafe name' (e.g. a backslash), 'vanished'. */
  reason: string;
}

export interface DataSourceDump {
  key: string;
  /** The data source type as NocoBase names it: postgres, mysql, mariadb, kingbase. */
  type: string;
  dialect: DbConfig['dialect'];
  database?: string;
  schema?: string;
  /** sources/<key>/db.dump */
  dump: string;
}

export interface SkippedDataSource {
  key: string;
  type: string;
  /** A locale key: DATASOURCE_NO_TOOL, DATASOURCE_NOT_A_DATABASE, DATASOURCE_DUMP_FAILED... */
  reason: string;
  /** The tool's own words when a dump failed. */
  detail?: string;
}

export interface SubAppDump {
  name: string;
  dialect: DbConfig['dialect'];
  /** Database name (no host or credentials) or PostgreSQL schema it was dumped from, for the admin's information. */
  database?: string;
  schema?: string;
  /** The dump file inside the archive: apps/<name>/db.dump or db.sqlite. */
  dump: string;
}

/**
 * The non-secret subset of the manifest that an encrypted archive also carries in plain text (encryption.json),
 * enough to refuse a newer format or another database without the password.
 */
export interface ArchiveHeader {
  format: string;
  formatVersion: number;
  createdAt: string;
  app: { name: string; version: string };
  database: { dialect: DbConfig['dialect'] };
  parts: string[];
  /** Repeated from the manifest so that the pre-flight report needs no password; authenticated with it later. */
  requirements?: Requirements;
}

export interface ArchiveHeaderInfo extends ArchiveHeader {
  encrypted: boolean;
}
