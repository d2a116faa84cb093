import { scrub, secretsOf } from '../secrets';
import { TailBuffer } from '../tail';

describe('TailBuffer', () => {
  it('splits lines across chunks and flushes the last one on end', () => {
    const lines: string[] = [];
    const tail = new TailBuffer(1024, (line) => lines.push(line));
    tail.push('pg_dump: dumping con');
    tail.push('tents of table "a"\r\npg_dump: done\npartial');
    tail.end();
    expect(lines).toEqual(['pg_dump: dumping contents of table "a"', 'pg_dump: done', 'partial']);
  });

  it('stays bounded and starts at a whole line', () => {
    const tail = new TailBuffer(100);
    for (let i = 0; i < 1000; i++) tail.push(`line ${i}\n`);
    const value = tail.value();
    expect(value.length).toBeLessThanOrEqual(100);
    expect(value.startsWith('line ')).toBe(true);
    expect(value.endsWith('line 999\n')).toBe(true);
  });

  it('cuts an endless line instead of growing', () => {
    const lines: string[] = [];
    const tail = new TailBuffer(10, (line) => lines.push(line));
    tail.push('x'.repeat(25));
    expect(lines).toEqual(['x'.repeat(10)]);
  });
});

describe('secrets', () => {
  it('collects PASS/PWD env values and declared secrets, longest first', () => {
    const env = { PGPASSWORD: 'ab', MYSQL_PWD: 'abcd', LANG: 'C' };
    const spec = { command: 'x', args: [], env, secrets: ['zz', ''] };
    expect(secretsOf(spec)).toEqual(['abcd', 'ab', 'zz']);
    expect(scrub('abcd ab zz C', secretsOf(spec))).toBe('*** *** *** C');
  });
});
