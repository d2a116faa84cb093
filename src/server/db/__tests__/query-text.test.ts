// The app's connection answers a backup's small questions (server version, tables, row counts) in the shape the client
// tools print, so the same parsers read both (db/query-text.ts). Rows here are shaped as the drivers give them:
// node-postgres parses a json column into an array and answers count(*) (bigint) as a string; mysql2 answers numbers.
import { getDumper } from '../../dumpers';
import { firstLine, parseJsonNames, parseRowCounts } from '../../dumpers/parse';
import type { ToolDumper } from '../../dumpers/types';
import { cellText, rowsAsText } from '../query-text';

const mysql = getDumper('mariadb') as ToolDumper;

describe('rowsAsText', () => {
  it('gives the server version as the first line, as the tools print it', () => {
    expect(firstLine(rowsAsText([{ server_version: '15.20 (Debian 15.20-0+deb12u1)' }]))).toBe('15.20 (Debian 15.20-0+deb12u1)');
    expect(firstLine(rowsAsText([{ 'VERSION()': '10.11.14-MariaDB-0+deb12u2' }]))).toBe('10.11.14-MariaDB-0+deb12u2');
  });

  it("gives PostgreSQL's json_agg of table names back as the JSON its parser reads, whatever the names hold", () => {
    const names = ['a|b', 'tab\there', 'new\nline', 'ünï', '__proto__'];
    expect(parseJsonNames(rowsAsText([{ coalesce: names }]))).toEqual(names);
    expect(parseJsonNames(rowsAsText([{ coalesce: [] }]))).toEqual([]);
  });

  it('gives MySQL-family table lists one name a line', () => {
    expect(mysql.parseTableList(rowsAsText([{ TABLE_NAME: 'a' }, { TABLE_NAME: 'b_c' }]))).toEqual(['a', 'b_c']);
    expect(mysql.parseTableList(rowsAsText([]))).toEqual([]);
  });

  it('gives batch row counts back by index, bigint strings and numbers alike', () => {
    const text = rowsAsText([
      { bm_index: 1, bm_count: '9007199254740991' },
      { bm_index: 0, bm_count: 12 },
    ]);
    expect(parseRowCounts(text, ['x', 'y'])).toEqual({ x: 12, y: 9007199254740991 });
    // A column left out or in the wrong order would not parse: the columns are named, in the statement's order.
    expect(() => parseRowCounts(rowsAsText([{ bm_index: 0 }]), ['x'])).toThrow(/Unexpected row count line/);
  });

  it('prints NULL as nothing and objects as JSON', () => {
    expect(cellText(null)).toBe('');
    expect(cellText(undefined)).toBe('');
    expect(cellText({ a: 1 })).toBe('{"a":1}');
    expect(cellText(7n)).toBe('7');
  });
});

describe('the batch count statements name their columns', () => {
  it.each(['postgres', 'mariadb', 'mysql', 'kingbase'] as const)('%s', (dialect) => {
    const dumper = getDumper(dialect) as ToolDumper;
    const sql = dumper.countRowsBatchSql({ dialect, database: 'd' }, ['t1', 't2']);
    expect(sql).toMatch(/^SELECT 0 AS bm_index, count\(\*\) AS bm_count FROM .*t1.* UNION ALL SELECT 1 AS bm_index, count\(\*\) AS bm_count FROM .*t2/i);
  });
});
