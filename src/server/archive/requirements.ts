import type { Requirements } from './manifest-types';

// Strict validation of `requirements` (manifest and plain header alike): every field typed, nothing else kept, so
// that the header's copy can be compared with the manifest's field by field (header.ts sameHeader).

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const isStr = (v: unknown): v is string => typeof v === 'string';
const optStr = (v: unknown) => v === undefined || isStr(v);

/** Validated copy of `value`, keys in a fixed order; `bad(reason, field)` makes the error to throw. */
export function validateRequirements(value: unknown, bad: (reason: string, field: string) => Error): Requirements {
  const f = (name: string) => `requirements${name ? `.${name}` : ''}`;
  if (!isObj(value)) throw bad('requirements must be an object', f(''));
  const { nocobaseVersion, plugins, db, dumpFormat } = value;
  if (!isStr(nocobaseVersion)) throw bad('requirements.nocobaseVersion must be a string', f('nocobaseVersion'));
  if (plugins !== undefined && !Array.isArray(plugins)) throw bad('requirements.plugins must be an array', f('plugins'));
  const list = (plugins as unknown[] | undefined)?.map((p, i) => {
    const where = f(`plugins[${i}]`);
    if (!isObj(p) || !isStr(p.name) || !optStr(p.packageName) || !isStr(p.version) || p.enabled !== true || typeof p.inArchive !== 'boolean') {
      throw bad(`${where} must be { name, packageName?, version, enabled: true, inArchive }`, where);
    }
    return {
      name: p.name,
      ...(p.packageName !== undefined ? { packageName: p.packageName as string } : {}),
      version: p.version,
      enabled: true as const,
      inArchive: p.inArchive,
    };
  });
  if (!isObj(db) || typeof db.underscored !== 'boolean' || !isStr(db.serverVersion) || !optStr(db.schema) || !optStr(db.tablePrefix)) {
    throw bad('requirements.db must be { underscored, schema?, tablePrefix?, lowerCaseTableNames?, serverVersion }', f('db'));
  }
  const lctn = db.lowerCaseTableNames;
  if (lctn !== undefined && !(Number.isSafeInteger(lctn) && (lctn as number) >= 0 && (lctn as number) <= 2)) {
    throw bad('requirements.db.lowerCaseTableNames must be 0, 1 or 2', f('db.lowerCaseTableNames'));
  }
  if (!isObj(dumpFormat) || !isStr(dumpFormat.tool) || !isStr(dumpFormat.version) || !optStr(dumpFormat.formatVersion)) {
    throw bad('requirements.dumpFormat must be { tool, version, formatVersion? }', f('dumpFormat'));
  }
  if (dumpFormat.formatVersion !== undefined && !/^\d+\.\d+(\.\d+)?$/.test(dumpFormat.formatVersion as string)) {
    throw bad('requirements.dumpFormat.formatVersion must look like 1.14', f('dumpFormat.formatVersion'));
  }
  return {
    nocobaseVersion,
    ...(list ? { plugins: list } : {}),
    db: {
      underscored: db.underscored,
      ...(db.schema !== undefined ? { schema: db.schema as string } : {}),
      ...(db.tablePrefix !== undefined ? { tablePrefix: db.tablePrefix as string } : {}),
      ...(lctn !== undefined ? { lowerCaseTableNames: lctn as number } : {}),
      serverVersion: db.serverVersion,
    },
    dumpFormat: {
      tool: dumpFormat.tool,
      version: dumpFormat.version,
      ...(dumpFormat.formatVersion !== undefined ? { formatVersion: dumpFormat.formatVersion as string } : {}),
    },
  };
}
