/** A double-quoted SQL identifier: "a""b". */
export function pgIdent(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

/** An E'' literal: means the same whatever standard_conforming_strings says. */
export function pgLiteral(value: string): string {
  return `E'${value.replace(/\\/g, '\\\\').replace(/'/g, "''")}'`;
}

/**
 * A pg_dump/psql name pattern matching exactly this name: inside double quotes * ? . and regex characters are
 * literal, and "" stands for one quote.
 */
export function pgPattern(name: string): string {
  return pgIdent(name);
}

/**
 * The database argument. libpq expands a dbname containing '=' or starting with a URI scheme into connection
 * options, and a leading '-' would be read as an option: such names go as a quoted conninfo string.
 */
export function pgDbArg(name: string): string {
  if (!/=|^-|^postgres(ql)?:\/\//i.test(name)) return name;
  return `dbname='${name.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
}
