import type { DbConfig } from '../dumpers/types';
import { checkFormat, metadataInvalid } from './manifest';
import type { ArchiveHeader, Manifest } from './manifest-types';
import { validateRequirements } from './requirements';

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const isStr = (v: unknown): v is string => typeof v === 'string';

/** The header of a manifest: what an encrypted archive repeats in plain text. */
export function headerOf(m: Manifest | ArchiveHeader): ArchiveHeader {
  return {
    format: m.format,
    formatVersion: m.formatVersion,
    createdAt: m.createdAt,
    app: { name: m.app.name, version: m.app.version },
    database: { dialect: m.database.dialect },
    parts: [...m.parts],
    // Only when present: the header of an archive made before requirements existed stays exactly as it was.
    ...(m.requirements ? { requirements: m.requirements } : {}),
  };
}

/**
 * Validates the plain header of encrypted archives (`file` names it in errors), format first as for the manifest.
 * Returns only the known fields, so that it can be compared with headerOf(manifest) field by field.
 * Throws FORMAT_UNKNOWN, MANIFEST_INVALID.
 */
export function validateHeader(value: unknown, file: string): ArchiveHeader {
  const bad = (reason: string) => metadataInvalid(file, reason, { field: 'header' });
  if (!isObj(value)) throw bad('header must be an object');
  checkFormat(value);
  const { createdAt, app, database, parts } = value;
  if (!isStr(createdAt) || Number.isNaN(Date.parse(createdAt))) throw bad('header.createdAt must be an ISO date');
  if (!isObj(app) || !isStr(app.name) || !isStr(app.version)) throw bad('header.app must have a name and a version');
  if (!isObj(database) || !isStr(database.dialect)) throw bad('header.database.dialect must be a string');
  if (!Array.isArray(parts) || !parts.every(isStr)) throw bad('header.parts must be an array of strings');
  const requirements =
    value.requirements === undefined
      ? undefined
      : validateRequirements(value.requirements, (reason) => bad(`header.${reason}`));
  return headerOf({
    format: value.format as string,
    formatVersion: value.formatVersion as number,
    createdAt,
    app: { name: app.name, version: app.version },
    database: { dialect: database.dialect as DbConfig['dialect'] },
    parts,
    requirements,
  });
}

/** Field by field (the key order of headerOf), so that nothing in the plain header can differ from the manifest. */
export function sameHeader(a: ArchiveHeader, b: ArchiveHeader): boolean {
  return JSON.stringify(headerOf(a)) === JSON.stringify(headerOf(b));
}
