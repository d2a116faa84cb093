import { manifestJsonPieces } from '../manifest-pieces';
import { entryOf, manifestFor } from './helpers';

describe('manifest JSON in pieces', () => {
  it.each([0, 1, 6, 7, 15])('%i entries, 3 a piece: joined, exactly JSON.stringify (entries last), and they parse back', (n) => {
    const entries = Array.from({ length: n }, (_, i) => ({ ...entryOf(`storage/uploads/é-${i}.bin`, Buffer.from(String(i))), mode: 0o640 }));
    const m = manifestFor(entries);
    const pieces = [...manifestJsonPieces(m, 3)];
    expect(pieces).toHaveLength(2 + Math.ceil(n / 3));
    const { entries: list, ...head } = m;
    expect(pieces.join('')).toBe(JSON.stringify({ ...head, entries: list }));
    expect(JSON.parse(pieces.join(''))).toEqual(m);
  });
});
