/** The only variables a child inherits from the server: enough to find binaries and decode text, nothing secret. */
const INHERITED = ['PATH', 'HOME', 'LANG', 'LC_ALL'] as const;

export function childEnv(
  extra: Record<string, string>,
  parent: NodeJS.ProcessEnv = process.env,
): Record<string, string> {
  const env: Record<string, string> = {};
  for (const key of INHERITED) {
    const value = parent[key];
    if (value !== undefined) env[key] = value;
  }
  return { ...env, ...extra };
}
