/** A backtick-quoted identifier: `a``b`. */
export function myIdent(name: string): string {
  return `\`${name.replace(/`/g, '``')}\``;
}

/** A utf8mb4 string as a hex literal: no escaping rules, whatever sql_mode (NO_BACKSLASH_ESCAPES) says. */
export function myHexString(value: string): string {
  if (!value) return "''";
  return `CONVERT(0x${Buffer.from(value, 'utf8').toString('hex')} USING utf8mb4)`;
}

/** An option-file value: quoted (so # and spaces survive) with the escapes my_load_defaults understands. */
export function optionValue(value: string): string {
  const escaped = value
    .replace(/\\/g, '\\\\')
    .replace(/"/g, '\\"')
    .replace(/\n/g, '\\n')
    .replace(/\r/g, '\\r')
    .replace(/\t/g, '\\t');
  return `"${escaped}"`;
}
