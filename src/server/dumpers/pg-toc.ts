// Reading `pg_restore -l` output (pure): which objects of a schema a custom-format dump would create.

// Descriptions of more than one word, longest first; any other description is one word.
const LONG_DESCS = [
  'MATERIALIZED VIEW DATA',
  'TEXT SEARCH CONFIGURATION',
  'TEXT SEARCH DICTIONARY',
  'TEXT SEARCH PARSER',
  'TEXT SEARCH TEMPLATE',
  'SEQUENCE OWNED BY',
  'FOREIGN DATA WRAPPER',
  'MATERIALIZED VIEW',
  'PUBLICATION TABLE',
  'OPERATOR CLASS',
  'OPERATOR FAMILY',
  'FK CONSTRAINT',
  'FOREIGN TABLE',
  'SECURITY LABEL',
  'SEQUENCE SET',
  'TABLE ATTACH',
  'INDEX ATTACH',
  'TABLE DATA',
  'DEFAULT ACL',
  'ROW SECURITY',
  'LARGE OBJECT',
  'BLOB METADATA',
];
// The object a COMMENT or SECURITY LABEL entry is about comes after its kind ("TABLE nb_items").
const ABOUT_ANOTHER = ['COMMENT', 'SECURITY LABEL'];

export interface TocEntry {
  desc: string;
  namespace: string;
  /** The object's name, or for constraints, defaults, triggers... the name of their table. */
  name: string;
}

/** One line of `pg_restore -l`, or null for comments and blank lines. */
export function parseTocLine(line: string): TocEntry | null {
  const m = /^\d+; \d+ \d+ (.*)$/.exec(line.trimEnd());
  if (!m) return null;
  const rest = m[1];
  const desc = LONG_DESCS.find((d) => rest.startsWith(`${d} `)) ?? rest.split(' ')[0];
  const words = rest.slice(desc.length + 1).split(' ');
  const namespace = words[0] ?? '';
  const name = (ABOUT_ANOTHER.includes(desc) ? words[2] : words[1]) ?? '';
  return { desc, namespace, name };
}

/**
 * Objects of `schema` in the dump whose name (or whose table's name) does not start with the application's table
 * prefix: another application's, which a restore would replace. ACL entries are ignored (restores use --no-acl).
 */
export function foreignObjects(entries: Iterable<TocEntry>, schema: string, prefix: string): string[] {
  const found = new Set<string>();
  for (const e of entries) {
    if (e.namespace !== schema || e.desc === 'ACL') continue;
    if (!e.name.startsWith(prefix)) found.add(e.name || e.desc);
  }
  return [...found].sort();
}
