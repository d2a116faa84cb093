import fs from 'fs';
import path from 'path';
import { crashPoint } from '../restore/crash';
import { moveReport, planRound, planSecondRound, type CopyRound, type MoveReport, type SourceSchema, type TargetSchema } from './copy-plan';
import type { MoveInput } from './move-input';

// The steps every move takes, whichever way it crosses (move-database.ts into a server, move-into-sqlite.ts into
// SQLite): NocoBase's clean install on the target, the first copy round (the tables it has, NocoBase's metadata among
// them), db:sync (the tables of the moved plugins and collections), the second round, the report.

export interface RoundsInput extends Pick<MoveInput, 'nocobase' | 'tmpDir' | 'progress'> {
  source: SourceSchema;
  say: (message: string) => void;
  /** What the install is said to create ("the new database", "a new SQLite file"). */
  where: string;
  /** Overrides of the app's environment for NocoBase's commands (DB_STORAGE of a new SQLite file). */
  env?: Record<string, string>;
  /** The target's tables as NocoBase made them, read after each of its commands. */
  readTarget(): Promise<TargetSchema>;
  /** Copies one round; `onProgress` gets the rows copied so far into a target table. Answers rows per target table. */
  copy(round: CopyRound, onProgress: (table: string, rows: number) => void): Promise<Record<string, number>>;
}

export async function runMoveRounds(i: RoundsInput): Promise<MoveReport> {
  const total = i.source.tables.reduce((n, t) => n + t.rows, 0);
  const rows: Record<string, number> = Object.create(null);
  const copied = () => Object.values(rows).reduce((a, b) => a + b, 0);
  const round = async (r: CopyRound) => {
    if (!r.tables.length && !r.truncate.length) return;
    const got = await i.copy(r, (table, n) => {
      rows[table] = n;
      i.progress?.(copied(), total, table);
    });
    Object.assign(rows, got);
  };

  const scratch = path.join(i.tmpDir, 'nocobase');
  await fs.promises.mkdir(scratch, { recursive: true, mode: 0o700 });
  i.say(`Creating NocoBase's tables in ${i.where} (nocobase install)`);
  await i.nocobase.install(scratch, i.env);
  const first = planRound(i.source, await i.readTarget());
  i.say(`Copying ${first.tables.length} tables`);
  await round(first);

  crashPoint('move:sync');
  i.say('Creating the tables of the moved plugins and collections (nocobase db:sync)');
  await i.nocobase.sync(scratch, i.env);
  const target = await i.readTarget();
  const second = planSecondRound(i.source, target, first);
  crashPoint('move:copy2');
  if (second.tables.length) i.say(`Copying ${second.tables.length} more tables`);
  await round(second);
  // A table copied twice counts once: with the columns of its second copy.
  const again = new Set(second.tables.map((t) => t.source));
  return moveReport(i.source, target, [...first.tables.filter((t) => !again.has(t.source)), ...second.tables], rows);
}
