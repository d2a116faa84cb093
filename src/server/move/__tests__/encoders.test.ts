import { kindOfMysql, kindOfPg } from '../column-kinds';
import { makeEncoders, offsetMinutes } from '../encoders';

const utc = makeEncoders(0);
const shanghai = makeEncoders(480);

describe('column kinds', () => {
  it('reads PostgreSQL and MySQL types as NocoBase creates them', () => {
    expect(['boolean', 'bigint', 'numeric', 'double precision', 'jsonb', 'timestamp with time zone', 'timestamp without time zone', 'date', 'time without time zone', 'bytea', 'ARRAY', 'character varying', 'uuid'].map(kindOfPg)).toEqual(
      ['boolean', 'integer', 'decimal', 'float', 'json', 'timestamptz', 'timestamp', 'date', 'time', 'binary', 'array', 'text', 'text'],
    );
    expect(kindOfMysql('tinyint', 'tinyint(1)')).toBe('boolean');
    expect(kindOfMysql('tinyint', 'tinyint(4)')).toBe('integer');
    expect(kindOfMysql('bigint', 'bigint(20) unsigned')).toBe('integer');
    expect(kindOfMysql('datetime', 'datetime(3)')).toBe('timestamptz');
    expect(kindOfMysql('longtext', 'longtext')).toBe('text');
    expect(kindOfMysql('json', 'json')).toBe('json');
    expect(kindOfMysql('longblob', 'longblob')).toBe('binary');
  });
});

describe('PostgreSQL COPY fields', () => {
  it('escapes text and writes NULL as \\N', () => {
    expect(utc.pg('text', null)).toBe('\\N');
    expect(utc.pg('text', 'a\tb\nc\\d\re')).toBe('a\\tb\\nc\\\\d\\re');
    expect(utc.pg('text', 'plain é 漢字')).toBe('plain é 漢字');
    // The string "\N" is data, not NULL.
    expect(utc.pg('text', '\\N')).toBe('\\\\N');
  });
  it('keeps integers beyond 2^53 exact (the reader hands them over as text)', () => {
    expect(utc.pg('integer', '9007199254740993')).toBe('9007199254740993');
    expect(utc.pg('decimal', '12345678901234567890.123456789')).toBe('12345678901234567890.123456789');
    expect(utc.pg('float', 0.1)).toBe('0.1');
  });
  it('turns SQLite 0/1 into booleans', () => {
    expect([utc.pg('boolean', '1'), utc.pg('boolean', '0'), utc.pg('boolean', 1), utc.pg('boolean', 'false'), utc.pg('boolean', 'TRUE')]).toEqual(['t', 'f', 't', 'f', 't']);
  });
  it('writes instants in UTC and wall times as they are', () => {
    expect(utc.pg('timestamptz', '2026-03-04 05:06:07.891 +00:00')).toBe('2026-03-04 05:06:07.891+00');
    expect(utc.pg('timestamptz', '2026-03-04 05:06:07.891 +08:00')).toBe('2026-03-03 21:06:07.891+00');
    expect(utc.pg('timestamptz', '2026-03-04T05:06:07Z')).toBe('2026-03-04 05:06:07+00');
    expect(utc.pg('timestamptz', '2026-01-01 00:30:00 -05:30')).toBe('2026-01-01 06:00:00+00');
    // Epoch milliseconds, as some fields keep them.
    expect(utc.pg('timestamptz', 1767225600123)).toBe('2026-01-01 00:00:00.123+00');
    expect(utc.pg('timestamp', '2026-03-04 05:06:07')).toBe('2026-03-04 05:06:07');
    expect(utc.pg('date', '2026-03-04')).toBe('2026-03-04');
    expect(utc.pg('timestamptz', 'not a date')).toBe('not a date');
  });
  it('writes bytes as bytea hex and JSON arrays as array literals', () => {
    expect(utc.pg('binary', Buffer.from([0, 255, 16]))).toBe('\\\\x00ff10');
    expect(utc.pg('array', '["a","b\\"c",null,3]')).toBe('{"a","b\\\\"c",NULL,"3"}');
    expect(utc.pg('json', '{"a":[1,2],"t":"x\\ty"}')).toBe('{"a":[1,2],"t":"x\\\\ty"}');
  });
});

describe('MySQL INSERT values', () => {
  it('quotes plain strings and hex-encodes any with escapes, whatever sql_mode says', () => {
    expect(utc.mysql('text', 'plain é')).toBe("'plain é'");
    expect(utc.mysql('text', "it's")).toBe(`_utf8mb4 X'${Buffer.from("it's").toString('hex')}'`);
    expect(utc.mysql('json', '{"a":"b\\\\c"}')).toBe(`_utf8mb4 X'${Buffer.from('{"a":"b\\\\c"}').toString('hex')}'`);
    expect(utc.mysql('text', null)).toBe('NULL');
  });
  it('numbers stay literal, booleans become 1/0, bytes X literals', () => {
    expect(utc.mysql('integer', '9007199254740993')).toBe('9007199254740993');
    expect(utc.mysql('decimal', '-1.50')).toBe('-1.50');
    expect(utc.mysql('integer', '1; DROP TABLE x')).toBe("'1; DROP TABLE x'");
    expect(utc.mysql('boolean', '1')).toBe('1');
    expect(utc.mysql('binary', Buffer.from('hi'))).toBe("X'6869'");
  });
  it('writes instants in the zone NocoBase uses on MySQL (DB_TIMEZONE)', () => {
    expect(utc.mysql('timestamptz', '2026-03-04 05:06:07.891 +00:00')).toBe("'2026-03-04 05:06:07.891'");
    expect(shanghai.mysql('timestamptz', '2026-03-04 20:06:07.891 +00:00')).toBe("'2026-03-05 04:06:07.891'");
  });
  it('reads DB_TIMEZONE offsets and refuses zone names', () => {
    expect([offsetMinutes(undefined), offsetMinutes('+08:00'), offsetMinutes('-0530'), offsetMinutes('Z')]).toEqual([0, 480, -330, 0]);
    expect(() => offsetMinutes('Asia/Shanghai')).toThrow(/offset/);
  });
});
