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
  objectNames,
  SAVED_VAR,
  SUB_DENIED,
  SUB_STARTS,
  SYSTEM_DATABASES,
  type Token,
} from './mysql-dump-rules';
import { MysqlDumpLexer, type ScanFinding } from './mysql-dump-lexer';
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

export type { ScanFinding } from './mysql-dump-lexer';

const MAX_FOREIGN = 1000;
const HEAD_TOKENS = 32;
const SET_TOKENS = 512;

/**
 * Feed the dump in chunks with push(), then end(): the first problem found is returned, or null. The bytes are read
 * into tokens and statements by MysqlDumpLexer; the rules (mysql-dump-rules.ts, mysql-dump-set.ts) are applied here.
 */
export class MysqlDumpScanner extends MysqlDumpLexer {
  private readonly others: Set<string>;
  private readonly prefix: string | null;
  private readonly foreign = new Set<string>();
  /** The next token starts a statement inside a compound statement. */
  private subHead = false;
  private segment: Token[] = [];
  private segmentCount = 0;
  private segmentLine = 1;
  private isSet = false;
  private prev: Token | null = null;
  private prevPrev: Token | null = null;
  /** User variables holding a saved session value, and which one (`@old_sql_mode` -> SQL_MODE). */
  private savedFrom = new Map<string, string>();

  constructor(opts: ScanOptions) {
    const others = new Set([...opts.otherDatabases.map((d) => d.toLowerCase()), ...SYSTEM_DATABASES]);
    // No database name starts with a digit: numbers need not be read as text.
    super(![...others].some((d) => /^[0-9]/.test(d)));
    this.others = others;
    this.prefix = opts.tablePrefix ? opts.tablePrefix.toLowerCase() : null;
  }

  protected wantsQuotedText(): boolean {
    return this.isSet || this.prev?.text === '@';
  }

  protected segmentLineIfEmpty() {
    if (!this.segmentCount) this.segmentLine = this.line;
  }

  protected token(tok: Token) {
    if (!this.segmentCount) {
      this.segmentLine = this.line;
      if (tok.kind === 'word' && tok.text === 'DELIMITER') {
        // A client command: the rest of the line is its argument.
        this.startDelimiter();
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

  protected delimiterCommand(written: string) {
    const arg = written.trim();
    const [value, ...rest] = arg.split(/\s+/);
    if (!/^;+$/.test(value ?? '') || rest.length) {
      this.fail(`the client delimiter ${JSON.stringify(arg.slice(0, 20))} is not allowed`, this.segmentLine);
    }
  }

  protected endSegment() {
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

