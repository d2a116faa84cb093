import type { ColumnKind } from './column-kinds';
import type { DumpValue } from './mysql-dump-rows';

// Pure: a value of PostgreSQL's COPY text output as NocoBase itself keeps it in SQLite, for a move out of PostgreSQL
// (sqlite-writer-child.ts). The target column's kind decides (NocoBase created it for the same field), the source's
// type only where the text alone is ambiguous (an array, a boolean into a number). The writer child runs this from
// its source text (`makeSqliteValues.toString()`): no imports, no helpers outside the function.

export type SqliteValue = null | string | Buffer;

export interface SqliteValues {
  /** `text` is a field of a COPY row (null for \N); `sourceType` the column's type in the dump ("text[]", "boolean"). */
  fromPg(kind: ColumnKind, sourceType: string, text: string | null): SqliteValue;
  /**
   * A value of a MySQL/MariaDB dump's row; `zone` ('+08:00') is the one its DATETIMEs were written in (DB_TIMEZONE:
   * NocoBase writes them in it), TIMESTAMPs are dumped in UTC.
   */
  fromMysql(kind: ColumnKind, sourceType: string, value: DumpValue, zone: string): SqliteValue;
}

export function makeSqliteValues(): SqliteValues {
  // PostgreSQL's ISO output: 2026-03-04 05:06:07.891234+08 (or +05:30, +05:53:28 for old local mean times).
  const INSTANT = /^(\d{4,})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(\.\d+)?)?)?\s*(Z|[+-]\d{2}(?::?\d{2}(?::?\d{2})?)?)?( BC)?$/;
  const pad = (n: number, w = 2) => String(n).padStart(w, '0');

  /**
   * Sequelize's own format for a DATE on SQLite ("2026-03-04 05:06:07.891 +00:00", milliseconds as NocoBase keeps
   * them), in UTC; a time without a zone is taken as UTC. Anything else (infinity, BC dates) stays as it was.
   */
  const instant = (text: string): string => {
    const m = INSTANT.exec(text);
    if (!m || m[9] || m[1].length > 4) return text;
    const ms = m[7] ? Number(m[7].slice(0, 4).padEnd(4, '0').slice(1)) : 0;
    let offset = 0;
    if (m[8] && m[8] !== 'Z') {
      const d = m[8].replace(/:/g, '');
      offset = (d[0] === '-' ? -1 : 1) * (Number(d.slice(1, 3)) * 3600 + Number(d.slice(3, 5) || 0) * 60 + Number(d.slice(5, 7) || 0));
    }
    const at = new Date(Date.UTC(+m[1], +m[2] - 1, +m[3], +(m[4] ?? 0), +(m[5] ?? 0), +(m[6] ?? 0), ms) - offset * 1000);
    if (Number.isNaN(at.getTime())) return text;
    return (
      `${pad(at.getUTCFullYear(), 4)}-${pad(at.getUTCMonth() + 1)}-${pad(at.getUTCDate())} ` +
      `${pad(at.getUTCHours())}:${pad(at.getUTCMinutes())}:${pad(at.getUTCSeconds())}.${pad(at.getUTCMilliseconds(), 3)} +00:00`
    );
  };

  /** A one-dimensional array literal ({a,"b c",NULL}) as the JSON array NocoBase keeps on SQLite. */
  const arrayJson = (text: string, elementType: string): string => {
    if (!text.startsWith('{') || !text.endsWith('}')) return text;
    const numeric = /^(smallint|integer|bigint|int[248]?|numeric|decimal|real|double precision|float[48]?)\b/.test(elementType);
    const bool = /^bool(ean)?$/.test(elementType);
    const items: unknown[] = [];
    const body = text.slice(1, -1);
    let i = 0;
    while (i < body.length) {
      let item: string;
      let quoted = false;
      if (body[i] === '"') {
        quoted = true;
        item = '';
        for (i++; i < body.length && body[i] !== '"'; i++) item += body[i] === '\\' ? body[++i] : body[i];
        i++;
      } else {
        const end = body.indexOf(',', i);
        item = body.slice(i, end < 0 ? body.length : end).trim();
        i = end < 0 ? body.length : end;
      }
      if (body[i] === '{' || item.startsWith('{')) return text; // nested: kept as PostgreSQL wrote it
      if (!quoted && item.toUpperCase() === 'NULL') items.push(null);
      else if (numeric && Number.isFinite(Number(item))) items.push(Number(item));
      else if (bool) items.push(item === 't' || item === 'true');
      else items.push(item);
      if (body[i] === ',') i++;
    }
    return JSON.stringify(items);
  };

  const fromPg = (kind: ColumnKind, sourceType: string, text: string | null): SqliteValue => {
    if (text === null) return null;
    const type = sourceType.toLowerCase();
    if (type.endsWith('[]')) return arrayJson(text, type.slice(0, -2));
    if (type === 'boolean' || kind === 'boolean') {
      // Sequelize's BOOLEAN on SQLite is TINYINT(1): 1 and 0.
      if (text === 't' || text === 'true') return '1';
      if (text === 'f' || text === 'false') return '0';
    }
    switch (kind) {
      case 'timestamptz':
        return instant(text);
      case 'binary':
        return /^\\x[0-9a-fA-F]*$/.test(text) ? Buffer.from(text.slice(2), 'hex') : Buffer.from(text, 'utf8');
      default:
        // Numbers as their exact text: the column's affinity makes them integers or reals as NocoBase's would.
        return text;
    }
  };

  const fromMysql = (kind: ColumnKind, sourceType: string, value: DumpValue, zone: string): SqliteValue => {
    if (value === null) return null;
    if (typeof value !== 'string') {
      const bytes = Buffer.from(value.hex, 'hex');
      return kind === 'binary' ? bytes : bytes.toString('utf8');
    }
    if (kind === 'timestamptz' && !value.startsWith('0000-00-00')) {
      const type = sourceType.toLowerCase();
      if (type.startsWith('timestamp')) return instant(`${value} +00:00`);
      if (type.startsWith('datetime')) return instant(`${value} ${zone}`);
    }
    // TINYINT(1) is already 1/0, numbers are their exact text, JSON its text.
    return value;
  };

  return { fromPg, fromMysql };
}
