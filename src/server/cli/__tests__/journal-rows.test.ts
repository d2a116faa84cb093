import type { Manifest } from '../../archive/manifest-types';
import type { ListedArchive } from '../archives';
import { journalRows } from '../journal-rows';

const manifest = (createdAt: string, origin?: string): Manifest => ({
  format: 'nocobase-backups-manager',
  formatVersion: 1,
  createdAt,
  app: { name: 'main', version: '2.2.15' },
  plugin: { name: 'p', version: '0.1.0' },
  database: {
    dialect: 'postgres',
    serverVersion: '15',
    tool: 'pg_dump',
    toolVersion: '15',
    dump: 'db/main.dump',
    excludedTableData: [],
  },
  parts: ['database'],
  entries: [{ path: 'db/main.dump', size: 1, sha256: 'a'.repeat(64) }],
  origin,
});
const listed = (fileName: string, m?: Manifest): ListedArchive => ({
  fileName,
  path: `/a/${fileName}`,
  size: 10,
  createdAt: m?.createdAt ?? '',
  manifest: m,
});

describe('journal rows after a restore made outside the app', () => {
  const at = new Date('2026-02-01T00:00:00Z');
  const restored = manifest('2026-01-02T00:00:00.000Z', 'scheduled');

  it('lists every readable archive as a succeeded backup and adds the restore, with ids of their own', () => {
    const rows = journalRows(
      [],
      [
        listed('b.nbbm', restored),
        listed('s.nbbm', manifest('2026-01-03T00:00:00.000Z', 'safety')),
        listed('x.nbbm', undefined),
        listed('o.nbbm', manifest('2026-01-01T00:00:00.000Z', 'elsewhere')),
      ],
      { file: '/a/b.nbbm', manifest: restored, size: 10, safety: '/a/s.nbbm', at },
    );
    expect(rows.map((r) => [r.id, r.kind, r.origin, r.fileName, r.status])).toEqual([
      [1, 'backup', 'scheduled', 'b.nbbm', 'succeeded'],
      [2, 'backup', 'safety', 's.nbbm', 'succeeded'],
      [3, 'backup', 'cli', 'o.nbbm', 'succeeded'],
      [4, 'restore', 'cli', 'b.nbbm', 'succeeded'],
    ]);
    expect(rows[0]).toMatchObject({
      createdAt: '2026-01-02T00:00:00.000Z',
      dialect: 'postgres',
      appVersion: '2.2.15',
      size: 10,
    });
    expect(rows[0].summary).toMatchObject({ appVersion: '2.2.15', dialect: 'postgres', parts: ['database'] });
    expect(rows[3]).toMatchObject({ createdAt: at, options: { safetyBackup: true } });
  });

  it('keeps existing rows and numbers new ones after them, adopting only unknown archives', () => {
    const existing = [
      { id: 7, kind: 'backup', fileName: 'b.nbbm', status: 'succeeded' },
      { id: 3, kind: 'verify', fileName: 'b.nbbm', status: 'failed' },
    ];
    const rows = journalRows(existing, [listed('b.nbbm', restored), listed('n.nbbm', restored)], {
      file: '/a/b.nbbm',
      manifest: restored,
      size: 10,
      at,
    });
    expect(rows.map((r) => [r.id, r.kind, r.fileName])).toEqual([
      [7, 'backup', 'b.nbbm'],
      [3, 'verify', 'b.nbbm'],
      [8, 'backup', 'n.nbbm'],
      [9, 'restore', 'b.nbbm'],
    ]);
  });
});
