// The reading half of the MySQL dump check (mysql-dump-scan.ts), pure: the bytes of a mysqldump/mariadb-dump file
// turned into tokens and statement ends as the server splits them, through quotes (with their escapes), comments,
// versioned comments and DELIMITER lines, counting lines. The rules applied to the tokens are MysqlDumpScanner's.

import { BACKSLASH, BQ, ByteFinder, DQ, isSpace, isWordByte, NL, SEMI, SQ } from './mysql-dump-bytes';
import type { Kind, Token } from './mysql-dump-rules';

export interface ScanFinding {
  line: number;
  reason: string;
}

const MAX_TEXT = 256;

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


/** Feed the dump in chunks with push(), then end(): the first problem found is returned, or null. */
export abstract class MysqlDumpLexer {
  /** Where the reading is: code, inside a quote or a comment, or on a DELIMITER line. */
  protected state: State = 'code';
  protected line = 1;
  private pending = Buffer.alloc(0);
  /** Bytes of the token being read (word, quoted text, variable), up to MAX_TEXT. */
  private parts: Buffer[] = [];
  private partsLength = 0;
  /** Whether the quoted text being read matters (names, SET values); data strings are only skipped. */
  private wantText = true;
  private readonly find = new ByteFinder();
  private textKind: Kind | null = null;
  private textStartInExec = false;
  private textHasCommentEnd = false;
  /** The previous byte of quoted text was '*' (a '*' '/' pair may straddle two chunks). */
  private quotedStar = false;
  private inExec = false;
  /** A versioned comment no server runs (/*M!999999): read as a comment, only the sandbox command may appear. */
  private inNeverComment = false;
  private prevStar = false;
  private finding: ScanFinding | null = null;
  private delimiterArg = '';

  /** `numbersAreNotNames`: no database the rules look for starts with a digit, so numbers need not be read as text. */
  constructor(private readonly numbersAreNotNames: boolean) {}

  /** One token of the statement being read. */
  protected abstract token(tok: Token): void;
  /** A semicolon, or the end of the dump: the statement read so far is complete. */
  protected abstract endSegment(): void;
  /** A versioned comment no server runs begins: where a statement starting here is reported. */
  protected abstract segmentLineIfEmpty(): void;
  /** Whether the quoted text starting now is needed as text (a name, a SET value), not only skipped. */
  protected abstract wantsQuotedText(): boolean;
  /** The argument of a DELIMITER line, as written. */
  protected abstract delimiterCommand(arg: string): void;

  /** Reads the rest of the current line as the argument of a DELIMITER command (a client command). */
  protected startDelimiter(): void {
    this.state = 'delimiter';
    this.delimiterArg = '';
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

  protected fail(reason: string, line = this.line): never {
    throw new Finding(line, reason);
  }

  /** Processes data; returns how many bytes were used (the rest waits for more bytes, for a lookahead). */
  private run(data: Buffer, final: boolean): number {
    const n = data.length;
    let i = 0;
    // A caller may push the same buffer object again with other bytes.
    this.find.reset();
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
          if (quote !== BQ) j = Math.min(j, this.find.next(data, i, BACKSLASH));
          this.line += this.find.newlines(data, i, j);
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
        this.startText(c === BQ || this.wantsQuotedText());
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

  private endDelimiter() {
    this.delimiterCommand(this.delimiterArg);
    this.delimiterArg = '';
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
}
