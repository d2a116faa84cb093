import fs from 'fs';
import path from 'path';
import { PassThrough } from 'stream';
import { getDumper } from '../dumpers';
import type { DbConfig, ToolInfo } from '../dumpers/types';
import { runTool } from '../process/run';
import type { CopyScript } from './copy-plan-types';
import { makeEncoders } from './encoders';
import { moveRowsChild } from './rows-child';

// One round of a move's bulk load: a node child reads the source SQLite file and writes the SQL script (COPY blocks
// for PostgreSQL, INSERTs for MySQL) into the target's own client, through a pipe with backpressure. The server
// only passes the bytes along: no row is parsed or held here, so its memory does not grow with the data.

const READER = `
const [modulePath, file, planFile] = process.argv.slice(1);
const plan = JSON.parse(require('fs').readFileSync(planFile, 'utf8'));
const encoders = (${makeEncoders.toString()})(plan.offsetMinutes);
const progress = (table, rows) => process.stderr.write(JSON.stringify({ table, rows }) + '\\n');
(${moveRowsChild.toString()})({ sqlite3: require(modulePath), encoders, out: process.stdout, progress }, file, plan).catch((error) => {
  process.stderr.write(String((error && error.message) || error) + '\\n');
  process.exitCode = 1;
});
`;

export interface CopyRowsInput {
  /** The sqlite3 package's entry (the app's own module). */
  sqliteModule: string;
  /** The staged source database file. */
  file: string;
  plan: CopyScript;
  db: DbConfig;
  tool: ToolInfo;
  /** 0700 scratch folder (the plan file, MySQL option files). */
  tmpDir: string;
  onProgress?: (table: string, rows: number) => void;
  signal?: AbortSignal;
}

/** Runs one round; answers the rows copied per target table. */
export async function copyRows(input: CopyRowsInput): Promise<Record<string, number>> {
  const dumper = getDumper(input.db.dialect);
  if (dumper.kind !== 'tool') throw new Error(`A move into ${input.db.dialect} is not supported yet`);
  const planFile = path.join(input.tmpDir, `move-plan-${process.pid}-${Date.now()}.json`);
  await fs.promises.writeFile(planFile, JSON.stringify(input.plan), { mode: 0o600, flag: 'wx' });
  const rows: Record<string, number> = Object.create(null);
  const onLine = (line: string) => {
    let p: unknown;
    try {
      p = JSON.parse(line);
    } catch {
      return; // an error message: it is in the tool's error
    }
    const { table, rows: n } = (p ?? {}) as { table?: unknown; rows?: unknown };
    if (typeof table === 'string' && typeof n === 'number') {
      rows[table] = n;
      input.onProgress?.(table, n);
    }
  };
  // Either side failing stops the other: a client that died would leave the reader blocked on a full pipe.
  const readerStop = new AbortController();
  const clientStop = new AbortController();
  const forward = () => {
    readerStop.abort();
    clientStop.abort();
  };
  input.signal?.addEventListener('abort', forward, { once: true });
  const pipe = new PassThrough({ highWaterMark: 1024 * 1024 });
  try {
    // The first failure is the cause (the other side was only stopped because of it).
    let cause: unknown = null;
    const fail = (err: unknown, other: AbortController): never => {
      cause ??= err;
      other.abort();
      throw err;
    };
    const reader = runTool(
      { command: process.execPath, args: ['-e', READER, input.sqliteModule, input.file, planFile], env: {} },
      { stdout: pipe, onStderrLine: onLine, signal: readerStop.signal },
    ).then(
      () => void pipe.end(),
      (err) => fail(err, clientStop),
    );
    const client = runTool(dumper.scriptSpec(input.db, input.tool, { tmpDir: input.tmpDir }), {
      stdin: pipe,
      signal: clientStop.signal,
    }).catch((err) => fail(err, readerStop));
    const settled = await Promise.allSettled([reader, client]);
    if (settled.some((r) => r.status === 'rejected')) throw cause;
    return rows;
  } finally {
    input.signal?.removeEventListener('abort', forward);
    pipe.destroy();
    await fs.promises.rm(planFile, { force: true });
  }
}
