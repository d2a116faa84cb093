import { formatList, type ListedArchive } from '../archives';

const header = {
  database: { dialect: 'postgres' },
  app: { version: '2.2.15' },
  parts: ['database', 'keys'],
} as unknown as ListedArchive['header'];

describe('formatList', () => {
  it('ends a line with the note, quoted, and leaves it off when there is none', () => {
    const base = { path: '/x', size: 2048, createdAt: '2026-12-05T10:00:00.000Z', header };
    const text = formatList([
      { ...base, fileName: 'a.nbbm', note: 'before the v2.3 upgrade' },
      { ...base, fileName: 'b.nbbm' },
    ]);
    const [a, b] = text.split('\n');
    expect(a).toMatch(/^a\.nbbm .*"before the v2\.3 upgrade"$/);
    expect(b).toMatch(/^b\.nbbm .*encrypted$/);
  });
});
