import path from 'path';
import { FORMAT } from '../../constants';
import { formatVersionOf } from '../archive/manifest-draft';
import type { DataSourceDump, Manifest, SkippedDataSource, SubAppDump } from '../archive/manifest-types';
import type { DbConfig, ToolInfo } from '../dumpers/types';
import { completeRequirements } from '../preflight/record';
import type { RequirementsDraft } from '../preflight/types';

/** What a backup found out while it ran, for its manifest. */
export interface BackupFacts {
  createdAt: string;
  app: { name: string; version: string };
  plugin: { name: string; version: string };
  origin: string;
  /** The admin's note; absent from the manifest when there is none. */
  note?: string;
  db: DbConfig;
  /** The server's version for a dump tool's database; the SQLite library's for a SQLite file. */
  serverVersion: string;
  /** The dump tool; none for SQLite (a VACUUM INTO snapshot). */
  tool?: ToolInfo;
  /** Entry of the main database's dump (with dumpFormat 'directory', the folder of its entries). */
  dump: string;
  /** PostgreSQL family: the format and jobs pg_dump ran with (absent for other dialects). */
  dumpFormat?: { format: 'custom' | 'directory'; jobs: number };
  excludedTableData: string[];
  /** Row counts per table; undefined when counting failed. */
  tables?: Record<string, number>;
  /** Parts included: 'database', 'uploads', 'plugins', 'keys'. */
  parts: string[];
  apps: SubAppDump[];
  dataSources: DataSourceDump[];
  skippedDataSources: SkippedDataSource[];
  /** What a restore must match, completed here with the database and dump facts. */
  requirements?: RequirementsDraft;
  /** First bytes of the dump (its format version, for the pre-flight of a restore elsewhere). */
  dumpHead?: Buffer;
}

/** Pure: a backup's manifest, without its entries (the archive writer lists them). */
export function buildManifest(f: BackupFacts): Omit<Manifest, 'entries'> {
  const tool = f.tool?.command ? path.basename(f.tool.command) : 'sqlite VACUUM INTO';
  const dumpFormat = f.dumpFormat ? { dumpFormat: f.dumpFormat.format, dumpJobs: f.dumpFormat.jobs } : {};
  return {
    format: FORMAT,
    formatVersion: formatVersionOf({ database: { dumpFormat: f.dumpFormat?.format } }),
    createdAt: f.createdAt,
    app: f.app,
    plugin: f.plugin,
    database: {
      dialect: f.db.dialect,
      serverVersion: f.serverVersion,
      tool,
      toolVersion: f.tool?.version || '',
      flavour: f.tool?.flavour || f.db.dialect,
      schema: f.db.schema,
      tablePrefix: f.db.tablePrefix,
      dump: f.dump,
      ...dumpFormat,
      excludedTableData: f.excludedTableData,
      tables: f.tables,
    },
    parts: f.parts,
    origin: f.origin,
    ...(f.note ? { note: f.note } : {}),
    ...(f.apps.length ? { apps: f.apps } : {}),
    ...(f.dataSources.length ? { dataSources: f.dataSources } : {}),
    ...(f.skippedDataSources.length ? { skippedDataSources: f.skippedDataSources } : {}),
    ...(f.requirements
      ? {
          requirements: completeRequirements(f.requirements, {
            db: f.db,
            serverVersion: f.serverVersion,
            tool,
            toolVersion: f.tool?.version || f.serverVersion,
            dumpHead: f.dumpHead,
          }),
        }
      : {}),
  };
}
