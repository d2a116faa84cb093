// Pure: the rows of a mysqldump / mariadb-dump file, which is where a move out of MySQL or MariaDB into SQLite gets
// them. Each table's rows come as `INSERT INTO \`table\` VALUES (...),(...);` statements: MySQL writes a statement on
// one line, MariaDB 10.11 one tuple a line; either way a tuple never spans lines (the dump escapes a newline inside a
// string as \n). Binary columns come as 0x… (the backup dumps with --hex-blob). The writer child
// (sqlite-writer-child.ts) runs this from its source text (`makeMysqlDumpRows.toString()`): no imports, no helpers
// outside the function. Types are only for the type check.

/** A value of a dumped row: NULL, a number or string as its text, or the bytes of a 0x… literal. */
export type DumpValue = null | string | { hex: string };

export interface MysqlDumpRows {
  /** The table of an `INSERT INTO ... VALUES` line and the text after VALUES, or null for any other line. */
  start(line: string): { table: string; rest: string } | null;
  /** The tuples of one line of an INSERT, and whether the statement ended on it (`;`). */
  tuples(text: string): { rows: DumpValue[][]; done: boolean };
}

export function makeMysqlDumpRows(): MysqlDumpRows {
  const START = /^INSERT INTO `((?:[^`]|``)+)` VALUES ?/;
  const start = (line: string) => {
    const m = START.exec(line);
    return m ? { table: m[1].replace(/``/g, '`'), rest: line.slice(m[0].length) } : null;
  };
  // mysql_real_escape_string's escapes, and what MySQL reads for any other backslashed character: the character.
  const ESC: Record<string, string> = { '0': '\0', n: '\n', r: '\r', t: '\t', b: '\b', Z: '\x1a' };
  const isHex = (c: number) => (c >= 48 && c <= 57) || (c >= 65 && c <= 70) || (c >= 97 && c <= 102);

  const tuples = (text: string) => {
    const rows: DumpValue[][] = [];
    const n = text.length;
    let row: DumpValue[] | null = null;
    let i = 0;
    while (i < n) {
      const c = text[i];
      if (row === null) {
        if (c === '(') row = [];
        else if (c === ';') return { rows, done: true };
        else if (c !== ',' && c !== ' ' && c !== '\t' && c !== '\r') throw new Error('Unexpected text between the rows of the dump');
        i++;
        continue;
      }
      if (c === "'") {
        let s = '';
        i++;
        for (;;) {
          if (i >= n) throw new Error('A string of the dump runs past its line');
          const d = text[i];
          if (d === '\\') {
            const e = text[i + 1];
            s += ESC[e] ?? e;
            i += 2;
          } else if (d === "'") {
            if (text[i + 1] === "'") {
              s += "'";
              i += 2;
            } else {
              i++;
              break;
            }
          } else {
            let j = i + 1;
            while (j < n && text[j] !== '\\' && text[j] !== "'") j++;
            s += text.slice(i, j);
            i = j;
          }
        }
        row.push(s);
      } else if (c === '0' && (text[i + 1] === 'x' || text[i + 1] === 'X')) {
        let j = i + 2;
        while (j < n && isHex(text.charCodeAt(j))) j++;
        row.push({ hex: text.slice(i + 2, j) });
        i = j;
      } else {
        let j = i;
        while (j < n && text[j] !== ',' && text[j] !== ')') j++;
        const token = text.slice(i, j).trim();
        row.push(token === 'NULL' ? null : token);
        i = j;
      }
      if (text[i] === ',') i++;
      else if (text[i] === ')') {
        rows.push(row);
        row = null;
        i++;
      } else throw new Error('Unexpected text in a row of the dump');
    }
    if (row !== null) throw new Error('A row of the dump runs past its line');
    return { rows, done: false };
  };

  return { start, tuples };
}
