// Pure: reading the plain SQL `pg_restore --data-only -f -` writes, which is where a move out of PostgreSQL gets its
// rows (a custom or directory dump cannot be read otherwise without a server). Each table's rows come as one
// `COPY schema.table (columns) FROM stdin;` block in PostgreSQL's COPY text format, ended by `\.`. The writer child
// (sqlite-writer-child.ts) runs this from its source text (`makeCopyText.toString()`): no imports, no helpers
// outside the function. Types are only for the type check.

export interface CopyHeader {
  schema: string | null;
  table: string;
  columns: string[];
}

export interface CopyText {
  /** The table and columns of a `COPY ... FROM stdin;` line, or null for any other line. */
  header(line: string): CopyHeader | null;
  /** One data line as its fields, `\N` as null, escapes undone. */
  fields(line: string): (string | null)[];
}

export function makeCopyText(): CopyText {
  // An identifier as pg_dump writes it: "quoted" (doubled quotes inside) or bare.
  const IDENT = '"(?:[^"]|"")*"|[^\\s.,()"]+';
  const HEADER = new RegExp(`^COPY (${IDENT})(?:\\.(${IDENT}))? \\(((?:${IDENT})(?:, (?:${IDENT}))*)\\) FROM stdin;$`);
  const ONE = new RegExp(IDENT, 'g');
  // pg_dump folds nothing: a bare identifier is already in the case the catalog has.
  const unquote = (s: string) => (s.startsWith('"') ? s.slice(1, -1).replace(/""/g, '"') : s);

  const header = (line: string): CopyHeader | null => {
    const m = HEADER.exec(line);
    if (!m) return null;
    const columns = (m[3].match(ONE) ?? []).map(unquote);
    return m[2] === undefined ? { schema: null, table: unquote(m[1]), columns } : { schema: unquote(m[1]), table: unquote(m[2]), columns };
  };

  const SIMPLE: Record<string, string> = { b: '\b', f: '\f', n: '\n', r: '\r', t: '\t', v: '\v' };
  const unescape = (field: string): string => {
    if (!field.includes('\\')) return field;
    let out = '';
    for (let i = 0; i < field.length; i++) {
      const c = field[i];
      if (c !== '\\' || i === field.length - 1) {
        out += c;
        continue;
      }
      const next = field[++i];
      if (SIMPLE[next] !== undefined) out += SIMPLE[next];
      else if (next >= '0' && next <= '7') {
        // \ooo: up to three octal digits (COPY TO never writes it; COPY FROM reads it).
        let digits = next;
        while (digits.length < 3 && field[i + 1] >= '0' && field[i + 1] <= '7') digits += field[++i];
        out += String.fromCharCode(parseInt(digits, 8));
      } else if (next === 'x' && /[0-9a-fA-F]/.test(field[i + 1] ?? '')) {
        let digits = field[++i];
        if (/[0-9a-fA-F]/.test(field[i + 1] ?? '')) digits += field[++i];
        out += String.fromCharCode(parseInt(digits, 16));
      } else out += next;
    }
    return out;
  };

  // A tab is always escaped inside a field, so splitting on it is exact.
  const fields = (line: string): (string | null)[] => line.split('\t').map((f) => (f === '\\N' ? null : unescape(f)));

  return { header, fields };
}
