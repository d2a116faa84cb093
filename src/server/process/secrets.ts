import type { CommandSpec } from '../dumpers/types';

const SECRET_KEY = /PASS|PWD/i;
export const REDACTED = '***';

/** Everything that must never appear in a message: password-like env values and the spec's declared secrets. */
export function secretsOf(spec: CommandSpec): string[] {
  const fromEnv = Object.entries(spec.env)
    .filter(([key]) => SECRET_KEY.test(key))
    .map(([, value]) => value);
  // Longest first, so a secret containing another is replaced whole.
  return [...new Set([...fromEnv, ...(spec.secrets ?? [])])].filter(Boolean).sort((a, b) => b.length - a.length);
}

export function scrub(text: string, secrets: string[]): string {
  let out = text;
  for (const secret of secrets) out = out.split(secret).join(REDACTED);
  return out;
}
