// A streaming check of a mysqldump/mariadb-dump file before the client runs it (pure: bytes in, a finding out).
//
// What it guarantees, together with the client flags of restoreSpec (--binary-mode, --sandbox, a known sql_mode):
// - no client command runs: a backslash outside strings and comments is refused (except the `\-` sandbox line of
//   MariaDB dumps), and every statement must start with an allowed SQL word, so `system`, `use`, `source`,
//   `connect`... at a statement start are refused (binary mode makes the client ignore them as well);
// - no statement switches or names another database: `USE`, CREATE/ALTER/DROP DATABASE|SCHEMA, and any qualified
//   name `x.y` whose `x` is another database on the server (or mysql, sys, performance_schema) are refused,
//   anywhere, routine and trigger bodies included;
// - no server-side file or code access: OUTFILE, DUMPFILE, LOAD_FILE, LOAD DATA/XML, SONAME, DATA/INDEX DIRECTORY,
//   CONNECTION and engines other than the local storage engines; no dynamic SQL (PREPARE/EXECUTE), GRANT, users,
//   GLOBAL variables;
// - the check splits statements as the server does: it refuses what would make the server read the text
//   differently (sql_mode ANSI_QUOTES or NO_BACKSLASH_ESCAPES, multi-byte character sets whose bytes can hide a
//   quote, client delimiters other than semicolons, comments and quotes that could end a versioned comment early).
// What it does not guarantee: statements on the target database itself run as written (a dump replaces that
// database anyway), and SQL that is stored rather than run (views, routines, triggers, events) is only checked for
// the rules above, not for what it does to the target database when it runs later.

import {
  AFTER_SET_DENIED,
  BANNED_WORDS,
  ENGINES,
  FOREIGN_KINDS,
  GUARDED,
  HEADS,
  KINDS,
  KINDS_OK,
  type Kind,
  objectNames,
  SAVED_VAR,
  SUB_DENIED,
  SUB_STARTS,
  SYSTEM_DATABASES,
  type Token,
} from './mysql-dump-rules';
import { setProblem } from './mysql-dump-set';

export interface ScanOptions {
  /** Lower-cased names of the databases the dump must not name: every database on the server but the target. */
  otherDatabases: string[];
  /**
   * DB_TABLE_PREFIX: the tables, views, routines and events the dump's statements create, fill, lock or drop are
   * collected when their names lack it (foreignObjects()): another application's in a shared database.
   */
  tablePrefix?: string;
}

const MAX_FOREIGN = 1000;

export interface ScanFinding {
  line: number;
  reason: string;
}

const SEMI = 0x3b;
const NL = 0x0a;
const BACKSLASH = 0x5c;
const SQ = 0x27;
const DQ = 0x22;
const BQ = 0x60;


const MAX_TEXT = 256;
const HEAD_TOKENS = 32;
const SET_TOKENS = 512;


type State = 'code' | 'squote' | 'dquote' | 'bquote' | 'line' | 'block' | 'delimiter';

const ASSIGN: Token = { kind: 'punct', text: ':=', lower: ':=' };
const NUMBER: Token = { kind: 'word', text: '0', lower: '0' };
const PUNCT: Token[] = [];

class Finding extends Error {
  constructor(
    public line: number,
    public reason: string,
  ) {
    super(reason);
  }
}

const isWordByte = (c: number) =>
  (c >= 0x30 && c <= 0x39) ||
  (c >= 0x41 && c <= 0x5a) ||
  (c >= 0x61 && c <= 0x7a) ||
  c === 0x5f ||
  c === 0x24 ||
  c >= 0x80;
const isSpace = (c: number) => c <= 0x20;

/** Feed the dump in chunks with push(), then end(): the first problem found is returned, or null. */
export class MysqlDumpScanner {
  private readonly others: Set<string>;
  private readonly prefix: string | null;
  private readonly foreign = new Set<string>();
  private state: State = 'code';
  private line = 1;
  private pending = Buffer.alloc(0);
  /** Bytes of the token being read (word, quoted text, variable), up to MAX_TEXT. */
  private parts: Buffer[] = [];
  private partsLength = 0;
  /** Whether the quoted text being read matters (names, SET values); data strings are only skipped. */
  private wantText = true;
  private nlCache: { data: Buffer | null; at: number } = { data: null, at: 0 };
  private bsCache: { data: Buffer | null; at: number } = { data: null, at: 0 };
  /** No database name starts with a digit: numbers need not be read as text. */
  private readonly numbersAreNotNames: boolean;
  private textKind: Kind | null = null;
  private textStartInExec = false;
  private textHasCommentEnd = false;
  /** The previous byte of quoted text was '*' (a '*' '/' pair may straddle two chunks). */
  private quotedStar = false;
  private inExec = false;
  /** A versioned comment no server runs (/*M!999999): read as a comment, only the sandbox command may appear. */
  private inNeverComment = false;
  /** The next token starts a statement inside a compound statement. */
  private subHead = false;
  private prevStar = false;
  private segment: Token[] = [];
  private segmentCount = 0;
  private segmentLine = 1;
  private isSet = false;
  private prev: Token | null = null;
  private prevPrev: Token | null = null;
  private finding: ScanFinding | null = null;
  private delimiterArg = '';
  /** User variables holding a saved session value, and which one (`@old_sql_mode` -> SQL_MODE). */
  private savedFrom = new Map<string, string>();

  constructor(opts: ScanOptions) {
    this.others = new Set([...opts.otherDatabases.map((d) => d.toLowerCase()), ...SYSTEM_DATABASES]);
    this.numbersAreNotNames = ![...this.others].some((d) => /^[0-9]/.test(d));
    this.prefix = opts.tablePrefix ? opts.tablePrefix.toLowerCase() : null;
  }

  push(chunk: Buffer): ScanFinding | null {
    if (this.finding) return this.finding;
    const data = this.pending.length ? Buffer.concat([this.pending, chunk]) : chunk;
    try {
      const used = this.run(data, false);
      this.pending = Buffer.from(data.subarray(used));
    } catch (err) {
      if (!(err instanceof Finding)) throw err;
      this.finding = { line: err.line, reason: err.reason };
    }
    return this.finding;
  }

  end(): ScanFinding | null {
    if (this.finding) return this.finding;
    try {
      this.run(this.pending, true);
      this.pending = Buffer.alloc(0);
      const quoted = this.state === 'squote' || this.state === 'dquote' || this.state === 'bquote';
      if (quoted) this.fail('a quote is never closed');
      if (this.state === 'block' || this.inExec || this.inNeverComment) this.fail('a comment is never closed');
      if (this.state === 'delimiter') this.endDelimiter();
      this.flushText();
      this.endSegment();
    } catch (err) {
      if (!(err instanceof Finding)) throw err;
      this.finding = { line: err.line, reason: err.reason };
    }
    return this.finding;
  }

  private fail(reason: string, line = this.line): never {
    throw new Finding(line, reason);
  }

  /** Processes data; returns how many bytes were used (the rest waits for more bytes, for a lookahead). */
  private run(data: Buffer, final: boolean): number {
    const n = data.length;
    let i = 0;
    // A caller may push the same buffer object again with other bytes.
    this.nlCache.data = null;
    this.bsCache.data = null;
    while (i < n) {
      const c = data[i];
      switch (this.state) {
        case 'squote':
        case 'dquote':
        case 'bquote': {
          const quote = this.state === 'squote' ? SQ : this.state === 'dquote' ? DQ : BQ;
          // Most of a dump's bytes are quoted data: found with native searches, not byte by byte.
          let j = data.indexOf(quote, i);
          if (j < 0) j = n;
          if (quote !== BQ) j = Math.min(j, this.nextIn(data, i, BACKSLASH));
          this.line += this.newlinesIn(data, i, j);
          if (this.textStartInExec) {
            // A '*' '/' pair inside quoted text would end the versioned comment for a server that skips it.
            if (this.quotedStar && data[i] === 0x2f && j > i) this.textHasCommentEnd = true;
            if (data.subarray(i, j).indexOf('*/') >= 0) this.textHasCommentEnd = true;
            if (j > i) this.quotedStar = data[j - 1] === 0x2a;
          }
          if (this.wantText) this.collect(data, i, j);
          if (j >= n) return n;
          this.quotedStar = false;
          if (data[j] === BACKSLASH) {
            if (j + 1 >= n) return final ? this.fail('a quote is never closed') : j;
            if (data[j + 1] === NL) this.line++;
            if (this.wantText) this.collect(data, j + 1, j + 2);
            i = j + 2;
            continue;
          }
          // A doubled quote is the quote character itself.
          if (j + 1 >= n && !final) return j;
          if (data[j + 1] === quote) {
            if (this.wantText) this.collect(data, j, j + 1);
            i = j + 2;
            continue;
          }
          this.state = 'code';
          if (this.textHasCommentEnd) this.fail('a quoted text inside a versioned comment contains */');
          this.flushText();
          i = j + 1;
          continue;
        }
        case 'line': {
          const j = data.indexOf(NL, i);
          if (j < 0) return n;
          this.line++;
          this.state = 'code';
          i = j + 1;
          continue;
        }
        case 'block': {
          let j = i;
          while (j < n) {
            const d = data[j];
            if (d === NL) this.line++;
            // The client runs backslash commands even in these comments: only \- (sandbox mode on) may be there.
            if (this.inNeverComment && d === BACKSLASH) {
              if (j + 1 >= n && !final) return j;
              if (data[j + 1] !== 0x2d) this.fail('a client command inside a versioned comment');
            }
            if (d === 0x2f && this.prevStar) break;
            this.prevStar = d === 0x2a;
            j++;
          }
          if (j >= n) return n;
          this.prevStar = false;
          this.state = 'code';
          this.inNeverComment = false;
          i = j + 1;
          continue;
        }
        case 'delimiter': {
          const j = data.indexOf(NL, i);
          const end = j < 0 ? n : j;
          if (this.delimiterArg.length < MAX_TEXT) this.delimiterArg += data.subarray(i, end).toString('latin1');
          if (j < 0) return n;
          this.endDelimiter();
          this.line++;
          this.state = 'code';
          i = j + 1;
          continue;
        }
        default:
          break;
      }
      // code
      if (this.textKind === 'word' || this.textKind === 'var') {
        const isVar = this.textKind === 'var';
        let j = i;
        while (j < n && (isWordByte(data[j]) || (isVar && (data[j] === 0x2e || data[j] === 0x40)))) j++;
        if (j >= n) {
          this.collect(data, i, j);
          return n;
        }
        if (!this.partsLength && !isVar && this.numbersAreNotNames && data[i] >= 0x30 && data[i] <= 0x39) {
          // Numbers and hex data, most words of a dump: no keyword or name starts with a digit.
          this.textKind = null;
          this.token(NUMBER);
        } else if (!this.partsLength) {
          // A word inside one chunk: no copy.
          this.textKind = null;
          this.wordToken(isVar ? 'var' : 'word', data.toString('utf8', i, Math.min(j, i + MAX_TEXT)));
        } else {
          this.collect(data, i, j);
          this.flushText();
        }
        i = j;
        continue;
      }
      if (c === NL) {
        this.line++;
        i++;
        continue;
      }
      if (isSpace(c)) {
        i++;
        continue;
      }
      // Lookahead of up to 4 bytes: wait for more data unless this is the end.
      if (i + 4 > n && !final && (c === 0x2d || c === 0x2f || c === 0x2a || c === 0x40 || c === 0x3a)) return i;
      const c1 = data[i + 1];
      if (c === SEMI) {
        this.endSegment();
        i++;
        continue;
      }
      if (c === 0x23 || (c === 0x2d && c1 === 0x2d && (i + 2 >= n || isSpace(data[i + 2])))) {
        if (this.inExec) this.fail('a comment inside a versioned comment');
        this.state = 'line';
        continue;
      }
      if (c === 0x2f && c1 === 0x2a) {
        if (this.inExec) this.fail('a comment inside a versioned comment');
        const bang = data[i + 2] === 0x21 ? 3 : data[i + 2] === 0x4d && data[i + 3] === 0x21 ? 4 : 0;
        if (!bang) {
          this.state = 'block';
          this.prevStar = false;
          i += 2;
          continue;
        }
        // The version number: read through here (at most 6 digits are part of it).
        let j = i + bang;
        while (j < n && j < i + bang + 6 && data[j] >= 0x30 && data[j] <= 0x39) j++;
        if (j >= n && !final) return i;
        const version = data.subarray(i + bang, j).toString('latin1');
        if (version === '999999') {
          this.state = 'block';
          this.inNeverComment = true;
          this.prevStar = false;
          this.segmentLineIfEmpty();
          i = j;
          continue;
        }
        this.inExec = true;
        i = j;
        continue;
      }
      if (c === 0x2a && c1 === 0x2f && this.inExec) {
        this.inExec = false;
        i += 2;
        continue;
      }
      if (c === BACKSLASH) this.fail('a client command (backslash) outside quoted text');
      if (c === SQ || c === DQ || c === BQ) {
        this.state = c === SQ ? 'squote' : c === DQ ? 'dquote' : 'bquote';
        this.textKind = c === BQ ? 'ident' : 'string';
        this.startText(c === BQ || this.isSet || this.prev?.text === '@');
        this.textStartInExec = this.inExec;
        this.textHasCommentEnd = false;
        this.quotedStar = false;
        i++;
        continue;
      }
      if (c === 0x40 && (isWordByte(c1) || c1 === 0x40)) {
        this.textKind = 'var';
        this.startText(true);
        continue;
      }
      if (isWordByte(c)) {
        this.textKind = 'word';
        this.startText(true);
        continue;
      }
      if (c === 0x3a && c1 === 0x3d) {
        this.token(ASSIGN);
        i += 2;
        continue;
      }
      const char = String.fromCharCode(c);
      this.token(PUNCT[c] ?? (PUNCT[c] = { kind: 'punct', text: char, lower: char }));
      i++;
    }
    return n;
  }

  private segmentLineIfEmpty() {
    if (!this.segmentCount) this.segmentLine = this.line;
  }

  /** Where the next `byte` is at or after `from` in data; searched once per occurrence, not once per string. */
  private nextIn(data: Buffer, from: number, byte: number): number {
    const cache = byte === NL ? this.nlCache : this.bsCache;
    if (cache.data !== data || cache.at < from) {
      const at = data.indexOf(byte, from);
      cache.data = data;
      cache.at = at < 0 ? data.length : at;
    }
    return cache.at;
  }

  private newlinesIn(data: Buffer, from: number, to: number): number {
    let count = 0;
    for (let at = this.nextIn(data, from, NL); at < to; at = this.nextIn(data, at + 1, NL)) count++;
    return count;
  }

  private startText(want: boolean) {
    this.parts = [];
    this.partsLength = 0;
    this.wantText = want;
  }

  /** Keeps at most MAX_TEXT bytes of the token being read: enough for any name or keyword. */
  private collect(data: Buffer, from: number, to: number) {
    const room = MAX_TEXT - this.partsLength;
    if (room <= 0 || to <= from) return;
    const part = Buffer.from(data.subarray(from, Math.min(to, from + room)));
    this.parts.push(part);
    this.partsLength += part.length;
  }

  private flushText() {
    const kind = this.textKind;
    if (!kind) return;
    this.textKind = null;
    const raw = this.parts.length === 1 ? this.parts[0].toString('utf8') : Buffer.concat(this.parts).toString('utf8');
    this.parts = [];
    this.partsLength = 0;
    this.wordToken(kind, raw);
  }

  private wordToken(kind: Kind, raw: string) {
    // Numbers (most words of a data row) need no case folding.
    const first = raw.charCodeAt(0);
    if (kind === 'word' && first >= 0x30 && first <= 0x39) {
      this.token({ kind, text: raw, lower: raw });
      return;
    }
    this.token({ kind, text: kind === 'word' ? raw.toUpperCase() : raw, lower: raw.toLowerCase() });
  }

  private token(tok: Token) {
    if (!this.segmentCount) {
      this.segmentLine = this.line;
      if (tok.kind === 'word' && tok.text === 'DELIMITER') {
        // A client command: the rest of the line is its argument.
        this.state = 'delimiter';
        this.delimiterArg = '';
        return;
      }
      this.isSet = tok.kind === 'word' && tok.text === 'SET';
    }
    this.segmentCount++;
    if (this.segment.length < (this.isSet ? SET_TOKENS : HEAD_TOKENS)) this.segment.push(tok);
    else if (this.isSet) this.fail('a SET statement too long to check', this.segmentLine);
    this.checkToken(tok);
    this.prevPrev = this.prev;
    this.prev = tok;
  }

  private checkToken(tok: Token) {
    const prev = this.prev;
    const word = prev?.kind === 'word' ? prev.text : '';
    if (tok.kind === 'punct' && tok.text === '.' && prev && (prev.kind === 'word' || prev.kind === 'ident')) {
      if (this.others.has(prev.lower)) this.fail(`names another database (${prev.lower.slice(0, 64)})`);
    }
    const subHead = this.subHead;
    this.subHead = tok.kind === 'word' && SUB_STARTS.has(tok.text);
    // A label (`name:`) also starts a statement.
    if (tok.kind === 'punct' && tok.text === ':' && !subHead && prev && this.segmentCount === 2) this.subHead = true;
    if (tok.kind === 'word') {
      if (BANNED_WORDS.has(tok.text)) this.fail(`${tok.text} is not allowed`);
      if (subHead && SUB_DENIED.has(tok.text)) this.fail(`${tok.text} statements are not allowed`);
      const defining = word === 'CREATE' || word === 'DROP' || word === 'ALTER' || word === 'REPLACE';
      if (FOREIGN_KINDS.has(tok.text) && defining) {
        this.fail(`${word} ${tok.text} is not allowed`);
      }
      if ((tok.text === 'DATA' || tok.text === 'XML') && word === 'LOAD') this.fail(`LOAD ${tok.text} is not allowed`);
      if (word === 'SET' && AFTER_SET_DENIED.has(tok.text) && this.segmentCount > 2) {
        this.fail(`SET ${tok.text} is not allowed here`);
      }
      const engine = prev?.text === '=' && this.prevPrev?.text === 'ENGINE' ? true : word === 'ENGINE';
      if (engine && tok.text !== 'ENGINE' && !ENGINES.has(tok.text)) {
        this.fail(`the storage engine ${tok.text} is not allowed`);
      }
    }
    if (!this.isSet) {
      if (this.savedVar(tok, prev ?? undefined)) this.fail(`${tok.text} is set outside a SET statement`);
      if (this.guarded(tok)) this.fail(`${tok.text.toLowerCase()} may only be set by a SET statement of its own`);
    }
  }

  /** sql_mode and the character set variables: they decide how the server reads the rest of the text. */
  private guarded(tok: Token): boolean {
    if (tok.kind === 'word') return GUARDED.has(tok.text);
    if (tok.kind !== 'var') return false;
    if (tok.kind === 'var' && !tok.text.startsWith('@@')) return false;
    return GUARDED.has(tok.text.toUpperCase().replace(/^@@(SESSION\.|LOCAL\.|GLOBAL\.)?/, ''));
  }

  private savedVar(tok: Token | undefined, before?: Token): boolean {
    if (!tok) return false;
    if (tok.kind === 'var') return SAVED_VAR.test(tok.text);
    return (tok.kind === 'ident' || tok.kind === 'string') && before?.text === '@' && SAVED_VAR.test(`@${tok.text}`);
  }

  private endDelimiter() {
    const arg = this.delimiterArg.trim();
    const [value, ...rest] = arg.split(/\s+/);
    if (!/^;+$/.test(value ?? '') || rest.length) {
      this.fail(`the client delimiter ${JSON.stringify(arg.slice(0, 20))} is not allowed`, this.segmentLine);
    }
    this.delimiterArg = '';
  }

  private endSegment() {
    const tokens = this.segment;
    const line = this.segmentLine;
    const count = this.segmentCount;
    this.segment = [];
    this.segmentCount = 0;
    this.prev = null;
    this.prevPrev = null;
    const wasSet = this.isSet;
    this.isSet = false;
    if (!count) return;
    let at = 0;
    // A label: `name: BEGIN`.
    if (tokens[1]?.text === ':' && (tokens[0].kind === 'word' || tokens[0].kind === 'ident')) at = 2;
    const head = tokens[at];
    if (!head || head.kind !== 'word') this.fail('a statement that does not start with an SQL word', line);
    if (head.text === 'USE') this.fail('USE switches to another database', line);
    if (!HEADS.has(head.text)) this.fail(`${head.text.slice(0, 40)} statements are not allowed`, line);
    if (head.text === 'CREATE' || head.text === 'DROP' || head.text === 'ALTER') {
      const kind = tokens.slice(at + 1).find((t) => t.kind === 'word' && KINDS.has(t.text));
      if (!kind || !KINDS_OK.has(kind.text)) {
        this.fail(`${head.text} ${kind ? kind.text : 'without a known object'} is not allowed`, line);
      }
    }
    if (wasSet) {
      const problem = setProblem(tokens, this.savedFrom);
      if (problem) this.fail(problem, line);
    }
    if (this.prefix) {
      for (const name of objectNames(tokens, at)) {
        if (!name.toLowerCase().startsWith(this.prefix) && this.foreign.size < MAX_FOREIGN) this.foreign.add(name);
      }
    }
  }

  /** With a table prefix: names of the objects the dump touches that lack it, sorted (at most 1000). */
  foreignObjects(): string[] {
    return [...this.foreign].sort();
  }
}


/** Scans a whole readable (a file stream) with bounded memory. */
export async function scanMysqlDump(
  source: AsyncIterable<Buffer>,
  opts: ScanOptions,
): Promise<{ finding: ScanFinding | null; foreign: string[] }> {
  const scanner = new MysqlDumpScanner(opts);
  for await (const chunk of source) {
    const finding = scanner.push(chunk);
    if (finding) return { finding, foreign: [] };
  }
  return { finding: scanner.end(), foreign: scanner.foreignObjects() };
}

