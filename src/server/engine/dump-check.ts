import fs from 'fs';
import path from 'path';
import { Writable } from 'stream';
import { getDumper } from '../dumpers';
import type { DbConfig, ToolDumper, ToolInfo, ToolPaths } from '../dumpers/types';
import { BackupError } from '../errors';
import { scanMysqlDump } from '../dumpers/mysql-dump-scan';
import { foreignObjects, parseTocLine, type TocEntry } from '../dumpers/pg-toc';
import { ToolError } from '../process/errors';
import { captureTool, runTool } from '../process/run';
import { checkTools } from './tool-check';

// Everything a restore can learn about a dump without changing anything: run before the target is emptied, so a
// dump the tool cannot read (a newer pg_dump's archive, a truncated or foreign file) never leaves an empty database.

const SQLITE_MAGIC = Buffer.from('SQLite format 3\0', 'latin1');
// The first line of dumps from MariaDB 10.11.8+ clients: a client command that MySQL's client does not know.
const SANDBOX_LINE = /^\/\*M!999999\\- enable the sandbox mode \*\/\s*$/;
const HEADER = /^-- (MySQL|MariaDB) dump \d/;
const TRAILER = /^-- Dump completed/;
const EDGE_BYTES = 4096;

/**
 * Throws DUMP_UNREADABLE (422) when the restore tool of `db` could not read `dump`; touches no database. The tool
 * check (TOOL_MISSING, TOOL_TOO_OLD) runs first, as a restore would.
 */
export async function checkDump(db: DbConfig, dump: string, tmpDir: string, tools?: ToolPaths): Promise<void> {
  const dumper = getDumper(db.dialect);
  if (dumper.kind === 'file') {
    if (!(await startsWith(dump, SQLITE_MAGIC))) throw new BackupError('SQLITE_FILE_INVALID', {}, 422);
    return;
  }
  await fs.promises.mkdir(tmpDir, { recursive: true, mode: 0o700 });
  const { tool } = await checkTools(dumper, db, tmpDir, tools);
  if (dumper.tocSpec) {
    const entries = await readToc(dumper, tool, dump);
    if (db.tablePrefix) assertOwn(db.tablePrefix, foreignObjects(entries, db.schema || 'public', db.tablePrefix));
    return;
  }
  await checkTextDump(tool, dump);
  await checkStatements(dumper, db, tool, dump, tmpDir);
}

const unreadable = (tool: string, detail: string, cause?: unknown) =>
  new BackupError('DUMP_UNREADABLE', { tool, detail }, 422, cause ? { cause } : undefined);

/**
 * DB_TABLE_PREFIX: the database or schema is shared with other applications; a dump holding objects without the
 * prefix (made without it, or by another application) would replace theirs.
 */
function assertOwn(prefix: string, foreign: string[]): void {
  if (!foreign.length) return;
  const shown = foreign.slice(0, 5).join(', ') + (foreign.length > 5 ? ', ...' : '');
  throw new BackupError('TABLE_PREFIX_FOREIGN', { prefix, count: foreign.length, tables: shown }, 422);
}

/** `pg_restore -l`: reads the archive header and its whole table of contents, connects to nothing. */
async function readToc(dumper: ToolDumper, tool: ToolInfo, dump: string): Promise<TocEntry[]> {
  const spec = (dumper.tocSpec as NonNullable<ToolDumper['tocSpec']>)(tool, dump);
  const entries: TocEntry[] = [];
  let rest = '';
  const take = (line: string) => {
    const entry = parseTocLine(line);
    if (entry) entries.push(entry);
  };
  const sink = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      const lines = (rest + chunk.toString('utf8')).split('\n');
      rest = lines.pop() ?? '';
      lines.forEach(take);
      callback();
    },
  });
  try {
    await runTool(spec, { stdout: sink });
  } catch (err) {
    const detail = err instanceof ToolError ? err.stderrTail.trim().slice(-500) || err.message : (err as Error).message;
    throw unreadable(path.basename(spec.command), detail, err);
  }
  take(rest);
  return entries;
}

/** A mysqldump/mariadb-dump text file: its header line, and the line a dump that ran to its end finishes with. */
async function checkTextDump(tool: ToolInfo, dump: string): Promise<void> {
  const fallback = tool.flavour === 'mysql' ? 'mysql' : 'mariadb';
  const client = path.basename(tool.tools?.restore || tool.tools?.client || fallback);
  const { head, tail } = await edges(dump);
  const lines = head.split('\n');
  const sandbox = SANDBOX_LINE.test(lines[0]);
  if (sandbox && tool.flavour === 'mysql') {
    const why = 'this dump was made by a MariaDB client (its first line is a MariaDB-only client command)';
    throw unreadable(client, why);
  }
  if (!HEADER.test(lines[sandbox ? 1 : 0] ?? '')) {
    throw unreadable(client, 'the file does not start like a mysqldump or mariadb-dump file');
  }
  const last = tail.split('\n').map((l) => l.trim()).filter(Boolean).pop() ?? '';
  if (!TRAILER.test(last)) {
    throw unreadable(client, 'the dump is incomplete (it does not end with "-- Dump completed")');
  }
}

/**
 * The whole dump, streamed through the statement check (dumpers/mysql-dump-scan.ts): no client command, no other
 * database, no file or server access. DUMP_UNSAFE names the line.
 */
async function checkStatements(
  dumper: ToolDumper,
  db: DbConfig,
  tool: ToolInfo,
  dump: string,
  tmpDir: string,
): Promise<void> {
  const others = dumper.listDatabasesSpec
    ? (await captureTool(dumper.listDatabasesSpec(db, tool, { tmpDir })))
        .split('\n')
        .filter((name) => name && name !== db.database && name.toLowerCase() !== 'information_schema')
    : [];
  const { finding, foreign } = await scanMysqlDump(fs.createReadStream(dump, { highWaterMark: 1 << 20 }), {
    otherDatabases: others,
    tablePrefix: db.tablePrefix,
  });
  if (finding) throw new BackupError('DUMP_UNSAFE', { line: finding.line, reason: finding.reason }, 422);
  if (db.tablePrefix) assertOwn(db.tablePrefix, foreign);
}

async function edges(file: string): Promise<{ head: string; tail: string }> {
  const fh = await fs.promises.open(file, 'r');
  try {
    const { size } = await fh.stat();
    const head = Buffer.alloc(Math.min(EDGE_BYTES, size));
    await fh.read(head, 0, head.length, 0);
    const tail = Buffer.alloc(Math.min(EDGE_BYTES, size));
    await fh.read(tail, 0, tail.length, size - tail.length);
    return { head: head.toString('utf8'), tail: tail.toString('utf8') };
  } finally {
    await fh.close();
  }
}

async function startsWith(file: string, magic: Buffer): Promise<boolean> {
  const fh = await fs.promises.open(file, 'r');
  try {
    const head = Buffer.alloc(magic.length);
    const { bytesRead } = await fh.read(head, 0, head.length, 0);
    return bytesRead === head.length && head.equals(magic);
  } finally {
    await fh.close();
  }
}
