import type { Manifest } from '../../archive/manifest-types';
import { compare, describeReport, scratchName } from '../verify';

function manifest(dialect: Manifest['database']['dialect'], tables?: Record<string, number>): Manifest {
  return {
    format: 'nocobase-backups-manager',
    formatVersion: 1,
    createdAt: '2026-01-01T00:00:00.000Z',
    app: { name: 'main', version: '2.2.15' },
    plugin: { name: 'p', version: '0.1.0' },
    database: {
      dialect,
      serverVersion: '15',
      tool: 'pg_dump',
      toolVersion: '15',
      dump: 'db/main.dump',
      excludedTableData: [],
      tables,
    },
    parts: ['database'],
    entries: [
      { path: 'db/main.dump', size: 1, sha256: 'a'.repeat(64) },
      { path: 'storage/uploads/a.png', size: 1, sha256: 'b'.repeat(64) },
    ],
  };
}

describe('verify report', () => {
  it('is ok when every recorded table is restored with its count; extra tables do not matter', () => {
    const report = compare(manifest('postgres', { users: 3, logs: 0 }), { users: 3, logs: 0, extra: 5 });
    expect(report).toEqual({
      ok: true,
      tables: 2,
      mismatches: [],
      missing: [],
      counted: true,
      exact: false,
      entries: 2,
      dialect: 'postgres',
    });
    expect(describeReport(report)).toBe('2 tables checked, 2 entries intact');
  });

  it('names missing tables and differing counts', () => {
    const report = compare(manifest('postgres', { users: 3, roles: 2, gone: 1 }), { users: 4, roles: 2 });
    expect(report.ok).toBe(false);
    expect(report.missing).toEqual(['gone']);
    expect(report.mismatches).toEqual([{ table: 'users', expected: 3, actual: 4 }]);
    const text = describeReport(report);
    expect(text).toContain('missing tables: gone');
    expect(text).toContain('users (3 recorded, 4 restored)');
    // Server counts are taken after the dump: the text says a concurrent write can explain it.
    expect(text).toContain('taken right after the dump');
  });

  it('calls SQLite counts exact (they come from the packed snapshot)', () => {
    const report = compare(manifest('sqlite', { t: 1 }), { t: 2 });
    expect(report.exact).toBe(true);
    expect(describeReport(report)).not.toContain('right after the dump');
  });

  it('checks only the restore for backups made before counts were recorded', () => {
    const report = compare(manifest('postgres'), { a: 1, b: 2 });
    expect(report).toMatchObject({ ok: true, counted: false, tables: 2, mismatches: [], missing: [] });
  });

  it('does not mistake an inherited property for a restored table', () => {
    const report = compare(manifest('postgres', { constructor: 0 }), {});
    expect(report.missing).toEqual(['constructor']);
  });

  it('shortens long lists', () => {
    const expected = Object.fromEntries(Array.from({ length: 15 }, (_, i) => [`t${i}`, 1]));
    expect(describeReport(compare(manifest('sqlite', expected), {}))).toContain('and 5 more');
  });

  it('names scratch databases recognisably, never twice the same', () => {
    const a = scratchName();
    expect(a).toMatch(/^bm_verify_[0-9a-f]{12}$/);
    expect(scratchName()).not.toBe(a);
  });
});
