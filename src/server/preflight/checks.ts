import type { Requirements } from '../archive/manifest-types';
import { formatSize, SPACE_MARGIN } from '../archive/free-space';
import { parseVersionNumbers, compareVersions } from '../dumpers/versions';
import enUS from '../../locale/en-US.json';
import { canMove } from '../move/crossing';
import { compareDotted, pgRestoreReads } from './dump-format';
import type { PreflightCheck, PreflightLevel, PreflightReport, TargetFacts } from './types';

// Pure: what a restore of this archive into this target would meet, before anything is touched. Each check is one
// line of the report; `code` is a locale key (warnings and blocking lines also have `<code>_FIX`).

/** What the archive says of itself: its plain header (no password needed) or its manifest. */
export interface ArchiveFacts {
  dialect: string;
  appVersion: string;
  requirements?: Requirements;
  /** The admin asked to move the backup into this database's dialect (restore --into-dialect). */
  move?: boolean;
  /**
   * The move was not asked for but found (the web dialog, from the archive): a warning, which the admin confirms with
   * the dialog's tick, instead of an ok line.
   */
  confirmMove?: boolean;
}


const EN = enUS as Record<string, string>;
const NONE = '-';

/** English text of a locale key with {{params}} filled (for command lines and logs). */
export function english(code: string, params: Record<string, string | number> = {}): string {
  return (EN[code] ?? code).replace(/\{\{(\w+)\}\}/g, (_, k: string) => (params[k] !== undefined ? String(params[k]) : ''));
}

const isPg = (d: string) => d === 'postgres' || d === 'kingbase';
const isMy = (d: string) => d === 'mysql' || d === 'mariadb';

/** -1/0/1 comparing '2.2.14' and '2.2.15-beta.1' by their numbers; null when one has none. */
function cmp(a: string, b: string): number | null {
  const x = parseVersionNumbers(a);
  const y = parseVersionNumbers(b);
  if (!x || !y) return null;
  return Math.sign(compareVersions(x, y));
}

export function preflightReport(archive: ArchiveFacts, target: TargetFacts): PreflightReport {
  const checks: PreflightCheck[] = [];
  const add = (id: string, level: PreflightLevel, code: string, params: Record<string, string | number> = {}) =>
    checks.push({ id, level, code, params, message: english(code, params) });
  const req = archive.requirements;
  let upgrade = false;

  const dialects = { backup: archive.dialect, current: target.dialect };
  const move = archive.move === true && archive.dialect !== target.dialect;
  if (move) {
    if (!canMove(archive.dialect, target.dialect)) add('dialect', 'blocking', 'PREFLIGHT_MOVE_UNSUPPORTED', dialects);
    else if (archive.confirmMove) add('dialect', 'warning', 'PREFLIGHT_MOVE_DIALECT', dialects);
    else add('dialect', 'ok', 'PREFLIGHT_OK_MOVE_DIALECT', dialects);
  } else if (archive.dialect !== target.dialect) {
    add('dialect', 'blocking', 'PREFLIGHT_DIALECT_MISMATCH', dialects);
  } else add('dialect', 'ok', 'PREFLIGHT_OK_DIALECT', { dialect: target.dialect });

  const backupVersion = req?.nocobaseVersion ?? archive.appVersion;
  const nocobase = target.nocobaseVersion ? cmp(backupVersion, target.nocobaseVersion) : null;
  if (move) {
    // NocoBase creates the target's tables from the moved metadata: its collections must be the backup's. At equal
    // versions nothing is left to migrate (the install and db:sync made every table, the copy brought the migrations
    // table along): a restart reads the moved data, as after a same-dialect restore.
    if (target.nocobaseVersion && backupVersion === target.nocobaseVersion) add('nocobase', 'ok', 'PREFLIGHT_OK_NOCOBASE', { version: backupVersion });
    else add('nocobase', 'blocking', 'PREFLIGHT_MOVE_NOCOBASE', { backup: backupVersion, current: target.nocobaseVersion ?? NONE });
  } else if (!target.nocobaseVersion || nocobase === null) {
    upgrade = true;
    add('nocobase', 'warning', 'PREFLIGHT_NOCOBASE_UNKNOWN', { backup: backupVersion });
  } else if (nocobase > 0) {
    add('nocobase', 'blocking', 'PREFLIGHT_NOCOBASE_NEWER', { backup: backupVersion, current: target.nocobaseVersion });
  } else if (nocobase < 0 || backupVersion !== target.nocobaseVersion) {
    upgrade = true;
    add('nocobase', 'warning', 'PREFLIGHT_NOCOBASE_OLDER', { backup: backupVersion, current: target.nocobaseVersion });
  } else add('nocobase', 'ok', 'PREFLIGHT_OK_NOCOBASE', { version: backupVersion });

  if (!req) {
    // An archive made before requirements were recorded: one warning instead of the checks it cannot have.
    upgrade = true;
    add('requirements', 'warning', 'PREFLIGHT_NO_REQUIREMENTS');
  } else {
    upgrade = pluginChecks(req, target, add, move) || upgrade;
    databaseChecks(archive.dialect, req, target, add);
  }

  diskAndPrivileges(target, add);
  const count = (level: PreflightLevel) => checks.filter((c) => c.level === level).length;
  return { checks, blocking: count('blocking'), warnings: count('warning'), upgrade };
}

type Add = (id: string, level: PreflightLevel, code: string, params?: Record<string, string | number>) => void;

/** Answers whether a plugin version differs (NocoBase's upgrade must then run). */
function pluginChecks(req: Requirements, target: TargetFacts, add: Add, move = false): boolean {
  if (!req.plugins) {
    add('plugins', 'warning', 'PREFLIGHT_PLUGINS_UNKNOWN');
    return true;
  }
  let differs = false;
  let same = 0;
  for (const p of req.plugins) {
    const here = target.plugins[p.packageName || p.name] ?? target.plugins[p.name] ?? null;
    const id = `plugin:${p.name}`;
    if (!here) {
      differs = true;
      // Carried by the archive's storage/plugins: the restore brings the package along, NocoBase installs it.
      if (p.inArchive) add(id, 'warning', 'PREFLIGHT_PLUGIN_IN_ARCHIVE', { plugin: p.packageName || p.name, version: p.version });
      else add(id, 'blocking', 'PREFLIGHT_PLUGIN_MISSING', { plugin: p.packageName || p.name, version: p.version });
    } else if (p.version && here.version !== p.version) {
      // (A row without a version, which NocoBase leaves for some plugins, cannot differ: nothing to compare.)
      differs = true;
      add(id, move ? 'blocking' : 'warning', move ? 'PREFLIGHT_MOVE_PLUGIN_VERSION' : 'PREFLIGHT_PLUGIN_VERSION', { plugin: p.packageName || p.name, backup: p.version, current: here.version });
    } else same++;
  }
  if (same) add('plugins', 'ok', 'PREFLIGHT_OK_PLUGINS', { count: same });
  return differs;
}

function databaseChecks(dialect: string, req: Requirements, target: TargetFacts, add: Add): void {
  const db = req.db;
  if (db.underscored !== target.db.underscored) {
    add('underscored', 'blocking', 'PREFLIGHT_UNDERSCORED_MISMATCH', { backup: String(db.underscored), current: String(target.db.underscored) });
  } else add('underscored', 'ok', 'PREFLIGHT_OK_UNDERSCORED', { value: String(db.underscored) });

  if (isPg(dialect)) {
    const backup = db.schema || 'public';
    const current = target.db.schema || 'public';
    if (backup !== current) add('schema', 'blocking', 'PREFLIGHT_SCHEMA_MISMATCH', { backup, current });
    else add('schema', 'ok', 'PREFLIGHT_OK_SCHEMA', { schema: current });
  }
  const prefix = db.tablePrefix || '';
  const currentPrefix = target.db.tablePrefix || '';
  if (prefix !== currentPrefix) {
    add('prefix', 'blocking', 'PREFLIGHT_PREFIX_MISMATCH', { backup: prefix || NONE, current: currentPrefix || NONE });
  } else add('prefix', 'ok', 'PREFLIGHT_OK_PREFIX', { prefix: prefix || NONE });

  if (isMy(dialect) && db.lowerCaseTableNames !== undefined && target.db.lowerCaseTableNames !== undefined) {
    const params = { backup: db.lowerCaseTableNames, current: target.db.lowerCaseTableNames };
    if (db.lowerCaseTableNames === target.db.lowerCaseTableNames) add('lowerCaseTableNames', 'ok', 'PREFLIGHT_OK_LOWER_CASE_TABLE_NAMES', params);
    // camelCase table names (DB_UNDERSCORED off) are folded to lower case by a server that is not case-sensitive:
    // NocoBase itself refuses to start there (it asks for DB_UNDERSCORED=true). Names already lower case survive.
    else if (!db.underscored && target.db.lowerCaseTableNames !== 0) add('lowerCaseTableNames', 'blocking', 'PREFLIGHT_LOWER_CASE_TABLE_NAMES', params);
    else add('lowerCaseTableNames', 'warning', 'PREFLIGHT_LOWER_CASE_TABLE_NAMES_DIFFER', params);
  }

  dumpFormatCheck(dialect, req, target, add);
}

function dumpFormatCheck(dialect: string, req: Requirements, target: TargetFacts, add: Add): void {
  // A SQLite backup is the database file itself, swapped in: no tool reads it.
  if (dialect === 'sqlite') return;
  const tool = target.restoreTool;
  const dump = req.dumpFormat;
  if (!tool) {
    add('dumpFormat', 'blocking', 'PREFLIGHT_RESTORE_TOOL_MISSING', { dumpTool: `${dump.tool} ${dump.version}` });
    return;
  }
  if (isPg(dialect)) {
    const dumpMajor = parseVersionNumbers(dump.version)?.[0];
    // Archives record the header's version; without it, the version pg_dump of that major writes.
    const format = dump.formatVersion ?? (dumpMajor ? pgRestoreReads(dumpMajor) : undefined);
    const params = { format: format ?? NONE, dumpTool: `${dump.tool} ${dump.version}`, tool: tool.tool, version: tool.version, reads: tool.reads ?? NONE };
    if (format && tool.reads && compareDotted(format, tool.reads) > 0) add('dumpFormat', 'blocking', 'PREFLIGHT_DUMP_FORMAT_NEWER', params);
    else add('dumpFormat', 'ok', 'PREFLIGHT_OK_DUMP_FORMAT', params);
    return;
  }
  add('dumpFormat', 'ok', 'PREFLIGHT_OK_DUMP_FORMAT', { format: NONE, dumpTool: `${dump.tool} ${dump.version}`, tool: tool.tool, version: tool.version, reads: NONE });
}

function diskAndPrivileges(target: TargetFacts, add: Add): void {
  if (target.disk) {
    const { free, needed, where } = target.disk;
    const params = { needed: formatSize(needed + SPACE_MARGIN), free: formatSize(free), where };
    add('disk', needed + SPACE_MARGIN <= free ? 'ok' : 'blocking', needed + SPACE_MARGIN <= free ? 'PREFLIGHT_OK_DISK_SPACE' : 'PREFLIGHT_DISK_SPACE', params);
  }
  if (target.privileges === null) add('privileges', 'warning', 'PREFLIGHT_PRIVILEGES_UNKNOWN');
  else if (target.privileges) {
    if (target.privileges.ok) add('privileges', 'ok', 'PREFLIGHT_OK_PRIVILEGES');
    else add('privileges', 'blocking', 'PREFLIGHT_PRIVILEGES', { missing: target.privileges.missing });
  }
}

/** The codes of the blocking checks, for PREFLIGHT_BLOCKED's params and the command lines. */
export function blockingCodes(report: PreflightReport): string {
  return report.checks.filter((c) => c.level === 'blocking').map((c) => c.code).join(', ');
}
