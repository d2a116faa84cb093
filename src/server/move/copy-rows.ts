import { getDumper } from '../dumpers';
import type { DbConfig, ToolInfo } from '../dumpers/types';
import type { CopyScript } from './copy-plan-types';
import { makeEncoders } from './encoders';
import { runPipedRound } from './piped-children';
import { moveRowsChild } from './rows-child';

// One round of a move's bulk load into a server database: a node child reads the source SQLite file and writes the
// SQL script (COPY blocks for PostgreSQL, INSERTs for MySQL) into the target's own client (piped-children.ts).

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
  return runPipedRound({
    tmpDir: input.tmpDir,
    plan: input.plan,
    from: (planFile) => ({ command: process.execPath, args: ['-e', READER, input.sqliteModule, input.file, planFile], env: {} }),
    into: () => dumper.scriptSpec(input.db, input.tool, { tmpDir: input.tmpDir }),
    progressFrom: 'from',
    onProgress: input.onProgress,
    signal: input.signal,
  });
}
