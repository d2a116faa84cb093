import type { Requirements } from '../archive/manifest-types';
import type { DbConfig } from '../dumpers/types';
import { pgArchiveVersion } from './dump-format';
import type { RequirementsDraft } from './types';

/** Pure: the manifest's `requirements` from what the caller knows and what the dump step found. */
export function completeRequirements(
  draft: RequirementsDraft,
  found: { db: DbConfig; serverVersion: string; tool: string; toolVersion: string; dumpHead?: Buffer },
): Requirements {
  const pg = found.db.dialect === 'postgres' || found.db.dialect === 'kingbase';
  const formatVersion = pg && found.dumpHead ? pgArchiveVersion(found.dumpHead) : undefined;
  return {
    nocobaseVersion: draft.nocobaseVersion,
    ...(draft.plugins ? { plugins: draft.plugins } : {}),
    db: {
      underscored: draft.underscored,
      ...(found.db.schema ? { schema: found.db.schema } : {}),
      ...(found.db.tablePrefix ? { tablePrefix: found.db.tablePrefix } : {}),
      ...(draft.lowerCaseTableNames !== undefined ? { lowerCaseTableNames: draft.lowerCaseTableNames } : {}),
      serverVersion: found.serverVersion,
    },
    dumpFormat: { tool: found.tool, version: found.toolVersion, ...(formatVersion ? { formatVersion } : {}) },
  };
}
