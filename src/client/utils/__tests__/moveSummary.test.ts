import type { Task } from '../../types';
import { moveSummary } from '../moveSummary';

const t = (key: string, options?: Record<string, unknown>) => key.replace(/{{(\w+)}}/g, (_, name: string) => String(options?.[name]));
const row = (values: Partial<Task>): Task => ({ id: 1, status: 'succeeded', origin: 'manual', kind: 'restore', ...values });
const report = { moved: { users: 2, bm_things: 40, roles: 3 }, tablesNotMoved: [], columnsNotMoved: [], views: [], triggers: [], functions: [], converted: { boolean: 4, json: 0 } };

describe('moveSummary', () => {
  it("says what a move copied and converted: a complete move is not a warning", () => {
    expect(moveSummary(row({ options: { move: { from: 'sqlite', to: 'postgres' }, moveReport: report } }), t)).toEqual({
      label: 'moved from SQLite',
      lines: ['Moved from SQLite to PostgreSQL: 3 tables, 45 rows.', 'Columns converted on the way: 4 boolean.'],
      incomplete: false,
    });
  });

  it('lists what did not move, the admin to recreate it, and counts beyond 20 names', () => {
    const views = Array.from({ length: 23 }, (_, i) => `v${i}`);
    const s = moveSummary(
      row({ options: { move: { from: 'postgres', to: 'sqlite' }, moveReport: { ...report, views, triggers: ['audit'], functions: ['f()'], tablesNotMoved: ['legacy'] } } }),
      t,
    );
    expect(s?.incomplete).toBe(true);
    expect(s?.lines.slice(2)).toEqual([
      'Tables not moved (no collection of this NocoBase defines them): legacy.',
      `Views not moved (SQL of the source database: recreate them by hand): ${views.slice(0, 20).join(', ')} ... and 3 more.`,
      'Triggers not moved (recreate them by hand): audit.',
      'Functions and procedures not moved (recreate them by hand): f().',
    ]);
  });

  it('is null for a restore without a move, and for other kinds of task', () => {
    expect(moveSummary(row({ options: { phases: ['done'] } }), t)).toBeNull();
    expect(moveSummary(row({ options: null }), t)).toBeNull();
    expect(moveSummary(row({ kind: 'backup', options: { moveReport: report } }), t)).toBeNull();
  });
});
