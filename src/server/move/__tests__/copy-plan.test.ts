import { moveReport, planRound, planSecondRound, type SourceSchema, type TargetSchema } from '../copy-plan';
import { parseTargetSchema } from '../target-schema';

const source: SourceSchema = {
  tables: [
    { name: 'users', columns: ['id', 'email', 'oldColumn'], rows: 2 },
    { name: 'applicationPlugins', columns: ['id', 'name', 'enabled'], rows: 40 },
    { name: 'things', columns: ['id', 'title', 'sort'], rows: 5 },
    { name: 'handMade', columns: ['x'], rows: 1 },
  ],
  views: ['v_things'],
  triggers: ['t_things'],
};

describe('the copy plan', () => {
  it('copies the tables both sides have, matched case-insensitively as MySQL may fold them, columns the target has', () => {
    const installed: TargetSchema = {
      tables: [
        { name: 'users', columns: [{ name: 'id', kind: 'integer', serial: true }, { name: 'email', kind: 'text', serial: false }, { name: 'newColumn', kind: 'text', serial: false }] },
        { name: 'applicationplugins', columns: [{ name: 'id', kind: 'integer', serial: true }, { name: 'name', kind: 'text', serial: false }, { name: 'enabled', kind: 'boolean', serial: false }] },
        { name: 'targetOnly', columns: [{ name: 'id', kind: 'integer', serial: true }] },
      ],
    };
    const first = planRound(source, installed);
    expect(first.tables).toEqual([
      { source: 'users', target: 'users', columns: [{ source: 'id', target: 'id', kind: 'integer' }, { source: 'email', target: 'email', kind: 'text' }] },
      { source: 'applicationPlugins', target: 'applicationplugins', columns: [{ source: 'id', target: 'id', kind: 'integer' }, { source: 'name', target: 'name', kind: 'text' }, { source: 'enabled', target: 'enabled', kind: 'boolean' }] },
    ]);
    // What the install put there goes: only the tables this round fills; targetOnly keeps its rows.
    expect(first.truncate).toEqual(['users', 'applicationplugins']);
    expect(first.sequences).toEqual([['users', 'id'], ['applicationplugins', 'id']]);

    // After db:sync created the moved collections' tables: only the new ones.
    const upgraded: TargetSchema = { tables: [...installed.tables, { name: 'things', columns: [{ name: 'id', kind: 'integer', serial: true }, { name: 'title', kind: 'text', serial: false }, { name: 'sort', kind: 'integer', serial: false }] }] };
    const second = planSecondRound(source, upgraded, first);
    expect(second.tables.map((t) => t.source)).toEqual(['things']);
    expect(second.truncate).toEqual(['things']);
    expect(second.sequences).toEqual([['things', 'id']]);

    // A field the admin added to a built-in collection (users.oldColumn here) exists only once db:sync ran: the
    // table is copied again, whole, or that field's values would stay behind.
    const withField: TargetSchema = {
      tables: upgraded.tables.map((t) => (t.name === 'users' ? { ...t, columns: [...t.columns, { name: 'oldColumn', kind: 'text' as const, serial: false }] } : t)),
    };
    const again = planSecondRound(source, withField, first);
    expect(again.tables.map((t) => [t.source, t.columns.map((c) => c.source)])).toEqual([
      ['users', ['id', 'email', 'oldColumn']],
      ['things', ['id', 'title', 'sort']],
    ]);
    expect(again.truncate).toEqual(['users', 'things']);

    const report = moveReport(source, upgraded, [...first.tables, ...second.tables], { users: 2, applicationplugins: 40, things: 5 });
    expect(report).toEqual({
      moved: { users: 2, applicationPlugins: 40, things: 5 },
      tablesNotMoved: ['handMade'],
      columnsNotMoved: ['users.oldColumn'],
      targetOnly: ['targetOnly'],
      views: ['v_things'],
      triggers: ['t_things'],
      functions: [],
      converted: { boolean: 1 },
    });
  });

  it('reads the target columns of either server, in column order, and refuses anything else', () => {
    const pg = parseTargetSchema('postgres', JSON.stringify([['b', 'id', 'bigint', true], ['b', 'at', 'timestamp with time zone', false], ['a', 'j', 'jsonb', false]]));
    expect(pg.tables).toEqual([
      { name: 'a', columns: [{ name: 'j', kind: 'json', serial: false }] },
      { name: 'b', columns: [{ name: 'id', kind: 'integer', serial: true }, { name: 'at', kind: 'timestamptz', serial: false }] },
    ]);
    const my = parseTargetSchema('mysql', JSON.stringify([['t', 'b', 'tinyint', 'tinyint(1)', 2], ['t', 'id', 'bigint', 'bigint(20)', 1]]));
    expect(my.tables[0].columns).toEqual([{ name: 'id', kind: 'integer', serial: false }, { name: 'b', kind: 'boolean', serial: false }]);
    expect(() => parseTargetSchema('postgres', '[[1, 2, 3]]')).toThrow(/Unexpected/);
    expect(() => parseTargetSchema('postgres', '{"a": 1}')).toThrow();
  });
});
