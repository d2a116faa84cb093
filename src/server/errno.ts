// What a caught value is, without typing it `any`: Node's system errors carry a string code, anything may be thrown.

/** The errno code (ENOENT, ELOOP, …) of a caught value, or undefined. */
export function errnoOf(err: unknown): string | undefined {
  return typeof err === 'object' && err !== null && 'code' in err ? String((err as { code: unknown }).code) : undefined;
}

/** A caught value's message, whatever was thrown. */
export function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
