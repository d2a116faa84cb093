import { manifestJson } from '../manifest-json';
import { manifestFor, entryOf } from './helpers';

describe('manifest.json built in chunks', () => {
  it.each([0, 1, 1999, 2000, 2001, 4500])('%i entries: the bytes JSON.stringify gives (entries last), and they parse back', async (n) => {
    const entries = Array.from({ length: n }, (_, i) => ({ ...entryOf(`storage/uploads/é-${i}.bin`, Buffer.from(String(i))), mode: 0o640 }));
    const m = manifestFor(entries);
    const { entries: list, ...head } = m;
    const bytes = await manifestJson(m);
    expect(bytes.equals(Buffer.from(JSON.stringify({ ...head, entries: list }), 'utf8'))).toBe(true);
    expect(JSON.parse(bytes.toString('utf8'))).toEqual(m);
  });
});
