import crypto from 'crypto';
import { parseManifestJson, parseManifestJsonChunks } from '../manifest-parse';

// manifest.json is parsed in slices when it has the writer's shape (entries last, flat entries), and by JSON.parse
// otherwise: the answer (value or error) must be JSON.parse's for any text.

const entry = (i: number) => ({
  path: `storage/uploads/d${i % 7}/f${i}.bin`,
  size: i * 13,
  sha256: crypto.createHash('sha256').update(String(i)).digest('hex'),
  mode: 0o644,
});
const head = { formatVersion: 2, app: { name: 'main', version: '2.2.15' }, note: 'plain note', parts: ['database', 'uploads'] };
const manifest = (n: number, extra: Record<string, unknown> = {}) => ({ ...head, ...extra, entries: Array.from({ length: n }, (_, i) => entry(i)) });

async function outcome(fn: () => unknown | Promise<unknown>): Promise<{ ok: unknown } | { err: string }> {
  try {
    return { ok: await fn() };
  } catch (err) {
    return { err: `${(err as Error).name}: ${(err as Error).message}` };
  }
}

/** `buf` in pieces of `size` bytes (0: of random sizes up to 40), cutting through characters of several bytes too. */
function* pieces(buf: Buffer, size: number): Generator<Buffer> {
  let seed = buf.length;
  for (let at = 0; at < buf.length; ) {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    const n = size || 1 + (seed % 40);
    yield buf.subarray(at, at + n);
    at += n;
  }
}

/** Both parsers on the same bytes, whole and in pieces of several sizes: same value (same key order too) or same error. */
async function same(text: string): Promise<void> {
  const buf = Buffer.from(text, 'utf8');
  const theirs = await outcome(() => JSON.parse(text));
  const whole = async () => buf;
  for (const ours of [
    await outcome(() => parseManifestJson(buf)),
    ...(await Promise.all([1, 2, 7, 0, 4096].map((size) => outcome(() => parseManifestJsonChunks(pieces(buf, size), whole))))),
  ]) {
    expect(ours).toEqual(theirs);
    if ('ok' in ours && 'ok' in theirs && ours.ok && typeof ours.ok === 'object') {
      expect(Object.keys(ours.ok as object)).toEqual(Object.keys(theirs.ok as object));
    }
  }
}

describe('parseManifestJson', () => {
  it("reads the writer's shape: any number of entries, whitespace around them", async () => {
    for (const n of [0, 1, 2, 300]) await same(JSON.stringify(manifest(n)));
    await same(JSON.stringify(manifest(5)).replace(/\},\{/g, '} ,\n\t{').replace(/\]\}$/, ' ]\r\n} \n'));
    await same(JSON.stringify(manifest(3)).replace('"entries":[', '"entries":[  \n'));
  });

  it('reads strings holding braces, brackets, quotes, backslashes and non-ASCII text as JSON.parse does', async () => {
    const odd = manifest(3, { note: 'a {note} with [brackets], "quotes", \\ and \\"entries\\":[ and 中文 ✓' });
    odd.entries[1].path = 'storage/uploads/{x}/[y]/"z"\\w/中文 ✓.bin';
    await same(JSON.stringify(odd));
  });

  it('leaves every other shape to JSON.parse, with the same answer', async () => {
    const m = manifest(3);
    const text = JSON.stringify(m);
    await same(JSON.stringify({ entries: m.entries, ...head })); // entries first
    await same(JSON.stringify({ ...head, entries: m.entries, after: 1 })); // entries not last
    await same(JSON.stringify(m, null, 2)); // pretty-printed: no marker
    await same(JSON.stringify({ ...head, requirements: { x: 1, entries: [1] }, entries: m.entries })); // nested key first
    await same(text.replace('"mode":420}', '"mode":420,"extra":{"a":1}}')); // a nested value in an entry
    await same(text.replace('"mode":420}', '"mode":[1,2]}'));
    await same(text.replace('{"formatVersion"', '{"entries":[],"formatVersion"')); // two entries keys
    await same(text.replace('"entries":[{', '"entries":[1,{')); // an entry that is not an object
  });

  it('throws what JSON.parse throws on text that is not JSON', async () => {
    const text = JSON.stringify(manifest(4));
    for (const bad of [
      text.slice(0, -1), // truncated
      text.slice(0, Math.floor(text.length / 2)),
      `${text}x`, // trailing garbage
      `${text}}`,
      text.replace('"size":13', '"size":}'), // an invalid entry
      text.replace('},{', '}{'), // a missing comma
      text.replace('},{', '},,{'),
      text.replace('"entries":[', '"entries":[,'),
      text.replace('"app":{', '"app":{{'), // a broken head
      text.replace(/"sha256":"([0-9a-f]+)"/, '"sha256":"$1'), // an unterminated string
      '',
      'null',
      '[]',
      '\ufeff' + text, // a byte order mark
    ]) {
      await same(bad);
    }
  });

  it('matches JSON.parse on random mutations of a manifest', async () => {
    const text = JSON.stringify(manifest(6, { note: 'x"y\\z{[' }));
    const alphabet = ['{', '}', '[', ']', '"', '\\', ',', ':', ' ', 'a', '1', '\n'];
    let seed = 42;
    const rand = (n: number) => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      return seed % n;
    };
    for (let k = 0; k < 400; k++) {
      const at = rand(text.length);
      const mutated = rand(2) ? text.slice(0, at) + alphabet[rand(alphabet.length)] + text.slice(at + 1) : text.slice(0, at) + text.slice(at + 1);
      await same(mutated);
    }
  });

  it('in pieces: reads the source to its end (where a source checks its bytes), and reads it again only for another shape', async () => {
    const buf = Buffer.from(JSON.stringify(manifest(50)), 'utf8');
    let wholeReads = 0;
    const whole = async () => {
      wholeReads++;
      return buf;
    };
    async function* checked(bytes: Buffer, failAtEnd: boolean) {
      yield* pieces(bytes, 64);
      if (failAtEnd) throw new Error('damaged (CRC mismatch)');
    }
    await expect(parseManifestJsonChunks(checked(buf, true), whole)).rejects.toThrow('damaged (CRC mismatch)');
    await expect(parseManifestJsonChunks(checked(Buffer.concat([buf, Buffer.from(' \n\n')]), true), whole)).rejects.toThrow('CRC');
    expect(((await parseManifestJsonChunks(checked(buf, false), whole)) as { entries: unknown[] }).entries).toHaveLength(50);
    expect(wholeReads).toBe(0);
    const pretty = Buffer.from(JSON.stringify(manifest(3), null, 2));
    expect(await parseManifestJsonChunks(checked(pretty, false), async () => (wholeReads++, pretty))).toEqual(manifest(3));
    expect(wholeReads).toBe(1);
  });

  it('in pieces: a source that hands the same buffer back refilled each time is read right', async () => {
    const text = JSON.stringify(manifest(40, { note: '中文 ✓ {x} "y"' }));
    const buf = Buffer.from(text, 'utf8');
    for (const size of [1, 5, 33, 300]) {
      async function* refilled() {
        const one = Buffer.alloc(size);
        for (let at = 0; at < buf.length; at += size) {
          one.fill(0x7b); // what was handed out before is overwritten first
          const n = buf.copy(one, 0, at, at + size);
          yield one.subarray(0, n);
        }
      }
      // Read right the first time: read again whole, any text parses (and damage would go unseen).
      const never = async (): Promise<Buffer> => {
        throw new Error('read again');
      };
      expect(await parseManifestJsonChunks(refilled(), never)).toEqual(JSON.parse(text));
    }
  });

  it('hands the event loop back while it reads 200,000 entries', async () => {
    const buf = Buffer.from(JSON.stringify(manifest(200_000)));
    let ticks = 0;
    const timer = setInterval(() => ticks++, 1);
    try {
      const parsed = (await parseManifestJson(buf)) as { entries: unknown[] };
      expect(parsed.entries).toHaveLength(200_000);
      expect(parsed.entries[123_456]).toEqual(entry(123_456));
    } finally {
      clearInterval(timer);
    }
    expect(ticks).toBeGreaterThan(2);
  });
});
