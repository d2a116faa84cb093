// The rules of the MySQL dump check (mysql-dump-scan.ts), pure: which statements, words and settings a dump fed to
// the client may hold, and which objects a statement names.

export const SYSTEM_DATABASES = ['mysql', 'performance_schema', 'sys'];

export const HEADS = new Set(
  (
    'SET CREATE DROP ALTER INSERT REPLACE LOCK UNLOCK SELECT WITH VALUES UPDATE DELETE DECLARE IF ELSE ELSEIF END ' +
    'WHILE LOOP REPEAT UNTIL LEAVE ITERATE RETURN CALL OPEN FETCH CLOSE BEGIN CASE WHEN SIGNAL RESIGNAL GET COMMIT ' +
    'ROLLBACK SAVEPOINT RELEASE DO TRUNCATE FOR'
  ).split(' '),
);
export const KINDS = new Set(
  (
    'TABLE VIEW TRIGGER FUNCTION PROCEDURE EVENT SEQUENCE INDEX DATABASE SCHEMA USER ROLE SERVER TABLESPACE LOGFILE ' +
    'PACKAGE SYNONYM'
  ).split(' '),
);
export const KINDS_OK = new Set('TABLE VIEW TRIGGER FUNCTION PROCEDURE EVENT SEQUENCE INDEX'.split(' '));
// Refused wherever they appear in code (never quoted: mariadb-dump quotes every name it writes).
export const BANNED_WORDS = new Set(
  (
    'OUTFILE DUMPFILE LOAD_FILE SONAME DIRECTORY CONNECTION PREPARE EXECUTE DEALLOCATE GRANT REVOKE INSTALL ' +
    'UNINSTALL SHUTDOWN BINLOG GLOBAL PERSIST PERSIST_ONLY'
  ).split(' '),
);
// Objects that are not the target database's own: refused after CREATE, DROP, ALTER or (OR) REPLACE.
export const FOREIGN_KINDS = new Set('DATABASE SCHEMA USER ROLE SERVER TABLESPACE LOGFILE'.split(' '));
// Words after which a statement starts inside a compound statement (MariaDB runs IF, BEGIN NOT ATOMIC... at top level).
export const SUB_STARTS = new Set('THEN ELSE DO LOOP REPEAT ATOMIC BEGIN'.split(' '));
export const SUB_DENIED = new Set(
  'USE KILL FLUSH RESET PURGE CHANGE START STOP HANDLER RENAME LOCK UNLOCK XA BACKUP CACHE LOAD'.split(' '),
);
// After a SET anywhere but at a statement start (an UPDATE's SET, a column's CHARACTER SET): never these.
export const AFTER_SET_DENIED = new Set('NAMES CHARSET CHARACTER PASSWORD STATEMENT'.split(' '));
export const ENGINES = new Set(
  'INNODB MYISAM ARIA MEMORY HEAP ARCHIVE CSV BLACKHOLE SEQUENCE MRG_MYISAM MERGE ROCKSDB TOKUDB'.split(' '),
);
export const SET_BANNED = new Set('PASSWORD ROLE STATEMENT'.split(' '));
// A multi-byte character set whose second byte can be 0x5C: the server would read a quote this check saw escaped.
export const UNSAFE_CHARSETS = new Set('BIG5 CP932 GBK SJIS GB18030'.split(' '));
// sql_mode values that change where strings and identifiers end (combination modes included).
export const UNSAFE_MODES = new Set(
  'ANSI_QUOTES NO_BACKSLASH_ESCAPES ANSI DB2 MAXDB MSSQL ORACLE POSTGRESQL'.split(' '),
);
export const GUARDED = new Set(
  'SQL_MODE CHARACTER_SET_CLIENT CHARACTER_SET_CONNECTION CHARACTER_SET_RESULTS COLLATION_CONNECTION'.split(' '),
);
// mariadb-dump saves the session's values in these and puts them back; they may hold nothing else.
export const SAVED_VAR = /^@(old_|saved_)/i;

export type Kind = 'word' | 'ident' | 'string' | 'var' | 'punct';
export interface Token {
  kind: Kind;
  /** Upper-cased for words; the text otherwise (cut at MAX_TEXT bytes). */
  text: string;
  /** Lower-cased original, for comparison with database names. */
  lower: string;
}

export const INSERT_WORDS = new Set('LOW_PRIORITY DELAYED HIGH_PRIORITY IGNORE INTO'.split(' '));
export const IF_EXISTS = new Set('IF NOT EXISTS TEMPORARY'.split(' '));

/** The objects a statement's head names: its table, view, routine or event, a trigger's or index's table. */
export function objectNames(tokens: Token[], at: number): string[] {
  const names: string[] = [];
  const skip = (k: number, words: Set<string>) => {
    let i = k;
    while (tokens[i]?.kind === 'word' && words.has(tokens[i].text)) i++;
    return i;
  };
  /** The name at k (the part after the dot of `db.name`), and returns the index after it. */
  const nameAt = (k: number): number => {
    const qualified = tokens[k + 1]?.text === '.';
    const t = qualified ? tokens[k + 2] : tokens[k];
    if (t && (t.kind === 'ident' || t.kind === 'word')) names.push(t.kind === 'ident' ? t.text : t.lower);
    return k + (qualified ? 3 : 1);
  };
  /** Comma-separated names, as DROP TABLE a, b and LOCK TABLES a WRITE, b READ write them. */
  const list = (k: number) => {
    let i = nameAt(k);
    while (i < tokens.length) {
      if (tokens[i].text === ',') i = nameAt(i + 1);
      else if (tokens[i].kind === 'word' && /^(READ|WRITE|LOCAL|LOW_PRIORITY|AS)$/.test(tokens[i].text)) i++;
      else break;
    }
  };
  const head = tokens[at].text;
  if (head === 'INSERT' || head === 'REPLACE') nameAt(skip(at + 1, INSERT_WORDS));
  else if (head === 'LOCK') list(skip(at + 1, new Set(['TABLES', 'TABLE'])));
  else if (head === 'TRUNCATE') nameAt(skip(at + 1, new Set(['TABLE'])));
  else if (head === 'UPDATE') nameAt(skip(at + 1, new Set(['LOW_PRIORITY', 'IGNORE'])));
  else if (head === 'DELETE') {
    const from = tokens.findIndex((t, i) => i > at && t.kind === 'word' && t.text === 'FROM');
    if (from > 0) nameAt(from + 1);
  } else if (head === 'CREATE' || head === 'DROP' || head === 'ALTER') {
    const kind = tokens.findIndex((t, i) => i > at && t.kind === 'word' && KINDS_OK.has(t.text));
    if (kind < 0) return names;
    const what = tokens[kind].text;
    if (what === 'TRIGGER' || what === 'INDEX') {
      const on = tokens.findIndex((t, i) => i > kind && t.kind === 'word' && t.text === 'ON');
      if (on > 0) nameAt(on + 1);
    } else if (head === 'DROP') list(skip(kind + 1, IF_EXISTS));
    else nameAt(skip(kind + 1, IF_EXISTS));
  }
  return names;
}

/** `@@SESSION.sql_mode` -> SQL_MODE. */
export function sessionName(text: string): string {
  return text.toUpperCase().replace(/^@@(SESSION\.|LOCAL\.)?/, '');
}
