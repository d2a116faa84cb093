import {
  GUARDED,
  SAVED_VAR,
  sessionName,
  SET_BANNED,
  type Token,
  UNSAFE_CHARSETS,
  UNSAFE_MODES,
} from './mysql-dump-rules';

// The SET statements of a dump fed to the client (pure, part of mysql-dump-scan.ts): session variables only, and
// those that decide how the server reads the rest of the text (sql_mode, character sets) only to known values.

/**
 * The reason a SET statement (its tokens, SET first) is refused, or null. `savedFrom` carries across statements
 * which session setting each `@old_`/`@saved_` variable holds, so it can only be put back into that setting.
 */
export function setProblem(tokens: Token[], savedFrom: Map<string, string>): string | null {
  for (const t of tokens) {
    if (t.kind === 'word' && SET_BANNED.has(t.text)) return `SET ${t.text} is not allowed`;
    if (t.kind === 'var' && /^@@global\./i.test(t.text)) return 'SET of a global variable is not allowed';
  }
  // Assignments separated by top-level commas.
  const parts: Token[][] = [[]];
  let depth = 0;
  for (const t of tokens.slice(1)) {
    if (t.text === '(') depth++;
    if (t.text === ')') depth--;
    if (t.text === ',' && depth === 0 && t.kind === 'punct') parts.push([]);
    else parts[parts.length - 1].push(t);
  }
  for (const part of parts) {
    const problem = assignmentProblem(part, savedFrom);
    if (problem) return problem;
  }
  return null;
}

function assignmentProblem(part: Token[], savedFrom: Map<string, string>): string | null {
  let p = part;
  if (p[0]?.kind === 'word' && (p[0].text === 'SESSION' || p[0].text === 'LOCAL')) p = p.slice(1);
  if (!p.length) return null;
  const first = p[0];
  if (first.kind === 'word' && (first.text === 'NAMES' || first.text === 'CHARSET' || first.text === 'CHARACTER')) {
    const value = first.text === 'CHARACTER' ? p[2] : p[1];
    return !value || unsafeCharset(value) ? 'SET of an unsafe character set' : null;
  }
  let target = first;
  let rest = p.slice(1);
  if (first.kind === 'punct' && first.text === '@' && p[1]) {
    target = { kind: 'var', text: `@${p[1].text}`, lower: `@${p[1].lower}` };
    rest = p.slice(2);
  }
  if (!rest.length || (rest[0].text !== '=' && rest[0].text !== ':=')) return null;
  const value = rest.slice(1);
  const name = sessionName(target.text);
  if (target.kind === 'var' && SAVED_VAR.test(target.text)) {
    if (value.length !== 1 || value[0].kind !== 'var' || !value[0].text.startsWith('@@')) {
      return `${target.text} may only save a session value`;
    }
    savedFrom.set(target.lower, sessionName(value[0].text));
    return null;
  }
  if ((target.kind === 'word' || (target.kind === 'var' && target.text.startsWith('@@'))) && GUARDED.has(name)) {
    const v = value[0];
    // Put back from a variable only when that variable saved this very setting.
    const ok =
      value.length === 1 &&
      ((v.kind === 'var' && savedFrom.get(v.lower) === name) ||
        (v.kind === 'word' && (name !== 'SQL_MODE' || v.text === 'DEFAULT') && !unsafeCharset(v)) ||
        (v.kind === 'string' && (name === 'SQL_MODE' ? safeModes(v.text) : !unsafeCharset(v))));
    if (!ok) return `SET ${name.toLowerCase()} to this value is not allowed`;
  }
  return null;
}

function unsafeCharset(t: Token): boolean {
  if (t.kind !== 'word' && t.kind !== 'string' && t.kind !== 'ident') return true;
  return UNSAFE_CHARSETS.has(t.text.toUpperCase());
}

function safeModes(value: string): boolean {
  return value
    .toUpperCase()
    .split(',')
    .every((m) => !UNSAFE_MODES.has(m.trim()));
}
