import type { ArchiveHeaderInfo, Manifest } from '../../archive/manifest-types';
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
const headerOf = (m: Manifest, encrypted: boolean): ArchiveHeaderInfo => ({
  format: m.format,
  formatVersion: m.formatVersion,
  createdAt: m.createdAt,
  app: m.app,
  database: { dialect: m.database.dialect },
  parts: m.parts,
  encrypted,
});
/** As listArchives answers: a plain archive with its manifest, an encrypted one with its header only. */
const listed = (fileName: string, m?: Manifest, encrypted = false): ListedArchive => ({
  fileName,
  path: `/a/${fileName}`,
  size: 10,
  createdAt: m?.createdAt ?? '',
  header: m && headerOf(m, encrypted),
  manifest: encrypted ? undefined : m,
});

describe('journal rows after a restore made outside the app', () => {
  const at = new Date('2026-02-01T00:00:00Z');
  const restored = manifest('2026-01-02T00:00:00.000Z', 'scheduled');
  const restore = { file: '/a/b.nbbm', manifest: restored, size: 10, encrypted: false, at };

  it('lists every readable archive as a succeeded backup and adds the restore, with ids of their own', () => {
    const rows = journalRows(
      [],
      [
        listed('b.nbbm', restored),
        listed('s.nbbm', manifest('2026-01-03T00:00:00.000Z', 'safety')),
        listed('x.nbbm', undefined),
        listed('o.nbbm', manifest('2026-01-01T00:00:00.000Z', 'elsewhere')),
      ],
      { ...restore, safety: '/a/s.nbbm' },
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
      encrypted: false,
    });
    expect(rows[0].summary).toMatchObject({ appVersion: '2.2.15', dialect: 'postgres', parts: ['database'] });
    expect(rows[3]).toMatchObject({ createdAt: at, options: { safetyBackup: true } });
  });

  it('adopts encrypted archives from their plain header, never as scheduled (retention cannot judge them)', () => {
    const secret = manifest('2026-01-04T00:00:00.000Z', 'scheduled');
    const rows = journalRows([], [listed('e.nbbm', secret, true), listed('main_x_safety.nbbm', secret, true)], {
      ...restore,
      encrypted: true,
    });
    expect(rows.map((r) => [r.kind, r.origin, r.fileName, r.encrypted])).toEqual([
      ['backup', 'manual', 'e.nbbm', true],
      ['backup', 'safety', 'main_x_safety.nbbm', true],
      ['restore', 'cli', 'b.nbbm', true],
    ]);
    expect(rows[0].summary).toMatchObject({
      encrypted: true,
      createdAt: '2026-01-04T00:00:00.000Z',
      dialect: 'postgres',
    });
  });

  it('keeps existing rows and numbers new ones after them, adopting only unknown archives', () => {
    const existing = [
      { id: 7, kind: 'backup', fileName: 'b.nbbm', status: 'succeeded' },
      { id: 3, kind: 'verify', fileName: 'b.nbbm', status: 'failed' },
    ];
    const rows = journalRows(existing, [listed('b.nbbm', restored), listed('n.nbbm', restored)], restore);
    expect(rows.map((r) => [r.id, r.kind, r.fileName])).toEqual([
      [7, 'backup', 'b.nbbm'],
      [3, 'verify', 'b.nbbm'],
      [8, 'backup', 'n.nbbm'],
      [9, 'restore', 'b.nbbm'],
    ]);
  });
});
