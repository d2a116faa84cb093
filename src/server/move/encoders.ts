import type { ColumnKind } from './column-kinds';

// How one value read from the source becomes text for the target's bulk load: a field of PostgreSQL's COPY text
// format, or a MySQL INSERT value. The reader child runs this from its source text (`makeEncoders.toString()`), so it
// must use nothing but its parameter: no imports, no helpers from this module. Types are only for the type check.

/** A value as the SQLite reader hands it over: integers as their decimal text (exact beyond 2^53), reals as numbers. */
export type SourceValue = null | number | string | Uint8Array;

export interface Encoders {
  /** One field of a `COPY ... FROM STDIN` text row: `\N`, or the value with \\ \n \r \t escaped. */
  pg(kind: ColumnKind, value: SourceValue): string;
  /** One value of a MySQL/MariaDB INSERT, valid whatever sql_mode says (no backslash escapes). */
  mysql(kind: ColumnKind, value: SourceValue): string;
}

/**
 * `targetOffsetMinutes`: the zone NocoBase writes MySQL DATETIMEs in (DB_TIMEZONE, +00:00 by default). Times
 * without a zone in the source are taken as UTC, which is what NocoBase stores on SQLite.
 */
export function makeEncoders(targetOffsetMinutes: number): Encoders {
  const INSTANT = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(\.\d+)?)?)?\s*(Z|[+-]\d{2}(?::?\d{2})?)?$/;
  const pad = (n: number, w = 2) => String(n).padStart(w, '0');
  const asText = (v: SourceValue): string =>
    typeof v === 'string' ? v : typeof v === 'number' ? String(v) : Buffer.from(v as Uint8Array).toString('utf8');

  /** { ms since epoch of the wall time read as UTC, fraction digits, zone offset in minutes or null }. */
  const parseInstant = (v: SourceValue): { wall: number; frac: string; offset: number | null } | null => {
    if (typeof v === 'number' || (typeof v === 'string' && /^-?\d{10,}$/.test(v))) {
      const ms = Number(v);
      return Number.isFinite(ms) ? { wall: ms - (ms % 1000), frac: ms % 1000 ? `.${pad(Math.abs(ms % 1000), 3)}` : '', offset: 0 } : null;
    }
    if (typeof v !== 'string') return null;
    const m = INSTANT.exec(v.trim());
    if (!m) return null;
    const wall = Date.UTC(+m[1], +m[2] - 1, +m[3], +(m[4] ?? 0), +(m[5] ?? 0), +(m[6] ?? 0));
    let offset: number | null = null;
    if (m[8] === 'Z') offset = 0;
    else if (m[8]) {
      const digits = m[8].replace(':', '');
      const sign = digits[0] === '-' ? -1 : 1;
      offset = sign * (Number(digits.slice(1, 3)) * 60 + Number(digits.slice(3, 5) || 0));
    }
    return { wall, frac: m[7] ?? '', offset };
  };
  const format = (ms: number) => {
    const d = new Date(ms);
    return (
      `${pad(d.getUTCFullYear(), 4)}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())} ` +
      `${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}`
    );
  };
  // What NocoBase writes on SQLite (Sequelize: "2026-03-04 05:06:07.891 +00:00"), the bulk of a move's times: its
  // wall time is already UTC, so the text before the zone is the answer (measured: parsing each cost a fifth of the
  // reader's time at 1,000,000 rows).
  const UTC_TEXT = /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}(?:\.\d{1,6})? \+00:00$/;
  const utcWall = (v: SourceValue): string | null => (typeof v === 'string' && v.length <= 33 && UTC_TEXT.test(v) ? v.slice(0, -7) : null);

  /** The same instant at `offset` minutes east of UTC, without a zone. */
  const instantAt = (v: SourceValue, offset: number): string | null => {
    if (offset === 0) {
      const fast = utcWall(v);
      if (fast !== null) return fast;
    }
    const p = parseInstant(v);
    if (!p) return null;
    return format(p.wall - (p.offset ?? 0) * 60000 + offset * 60000) + p.frac;
  };
  const wallTime = (v: SourceValue): string | null => {
    const fast = utcWall(v);
    if (fast !== null) return fast;
    const p = parseInstant(v);
    return p ? format(p.wall) + p.frac : null;
  };
  const TRUE = new Set(['1', 'true', 't', 'yes', 'y', 'on']);
  const FALSE = new Set(['0', 'false', 'f', 'no', 'n', 'off']);
  const truth = (v: SourceValue): boolean | null => {
    if (typeof v === 'number') return v !== 0;
    const s = asText(v).trim().toLowerCase();
    if (TRUE.has(s)) return true;
    if (FALSE.has(s)) return false;
    // A number stored as text ('1.0'), as SQLite may keep it.
    return s !== '' && Number.isFinite(Number(s)) ? Number(s) !== 0 : null;
  };
  const bytesOf = (v: SourceValue): Buffer => (typeof v === 'string' ? Buffer.from(v, 'utf8') : typeof v === 'number' ? Buffer.from(String(v)) : Buffer.from(v as Uint8Array));

  /** A JSON array (as SQLite keeps NocoBase's array fields) as a one-dimensional PostgreSQL array literal. */
  const pgArray = (v: SourceValue): string => {
    const text = asText(v);
    let items: unknown;
    try {
      items = JSON.parse(text);
    } catch {
      return text; // already an array literal, or something PostgreSQL will refuse with its own message
    }
    if (!Array.isArray(items)) return text;
    const item = (x: unknown) =>
      x === null || x === undefined
        ? 'NULL'
        : `"${(typeof x === 'string' ? x : typeof x === 'object' ? JSON.stringify(x) : String(x)).replace(/[\\"]/g, (c) => `\\${c}`)}"`;
    return `{${items.map(item).join(',')}}`;
  };

  const copyEscape = (s: string) =>
    /[\\\n\r\t]/.test(s) ? s.replace(/[\\\n\r\t]/g, (c) => (c === '\\' ? '\\\\' : c === '\n' ? '\\n' : c === '\r' ? '\\r' : '\\t')) : s;

  const pg = (kind: ColumnKind, v: SourceValue): string => {
    if (v === null || v === undefined) return '\\N';
    switch (kind) {
      case 'boolean': {
        const b = truth(v);
        return b === null ? copyEscape(asText(v)) : b ? 't' : 'f';
      }
      case 'timestamptz': {
        const t = instantAt(v, 0);
        return t === null ? copyEscape(asText(v)) : `${t}+00`;
      }
      case 'timestamp':
        return copyEscape(wallTime(v) ?? asText(v));
      case 'binary':
        return `\\\\x${bytesOf(v).toString('hex')}`;
      case 'array':
        return copyEscape(pgArray(v));
      default:
        return copyEscape(asText(v));
    }
  };

  const NUMBER = /^-?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/;
  const SAFE = /^[^\\'\0\n\r\x1a]*$/;
  const myString = (s: string) => (SAFE.test(s) ? `'${s}'` : `_utf8mb4 X'${Buffer.from(s, 'utf8').toString('hex')}'`);

  const mysql = (kind: ColumnKind, v: SourceValue): string => {
    if (v === null || v === undefined) return 'NULL';
    switch (kind) {
      case 'boolean': {
        const b = truth(v);
        return b === null ? myString(asText(v)) : b ? '1' : '0';
      }
      case 'integer':
      case 'decimal':
      case 'float': {
        const s = asText(v).trim();
        return NUMBER.test(s) ? s : myString(s);
      }
      case 'timestamptz':
        return myString(instantAt(v, targetOffsetMinutes) ?? asText(v));
      case 'timestamp':
        return myString(wallTime(v) ?? asText(v));
      case 'binary': {
        const hex = bytesOf(v).toString('hex');
        return `X'${hex}'`;
      }
      default:
        return myString(asText(v));
    }
  };

  return { pg, mysql };
}

/** '+08:00', '-05:30', 'Z' or '+0800' as minutes east of UTC; anything else (a zone name) is refused. */
export function offsetMinutes(zone: string | undefined): number {
  if (!zone || zone === 'Z' || zone === 'UTC') return 0;
  const m = /^([+-])(\d{2}):?(\d{2})$/.exec(zone.trim());
  if (!m) throw new Error(`DB_TIMEZONE must be an offset such as +08:00 for a move, not ${zone}`);
  return (m[1] === '-' ? -1 : 1) * (Number(m[2]) * 60 + Number(m[3]));
}
