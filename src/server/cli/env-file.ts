import fs from 'fs';
import path from 'path';

/**
 * KEY=VALUE lines of an app's .env, as dotenv (which NocoBase uses) reads them: `#` comments, optional `export `,
 * values in single, double or back quotes (double quotes expand \n), unquoted values end at ` #`.
 */
export function parseEnvFile(text: string): Record<string, string> {
  const env: Record<string, string> = {};
  const line =
    /^[ \t]*(?:export[ \t]+)?([\w.-]+)[ \t]*=[ \t]*('(?:\\'|[^'])*'|"(?:\\"|[^"])*"|`(?:\\`|[^`])*`|[^#\n]*)?[ \t]*(?:#.*)?$/gm;
  for (const match of text.replace(/\r\n?/g, '\n').matchAll(line)) {
    const raw = (match[2] ?? '').trim();
    const quote = raw[0];
    let value = raw;
    if ((quote === '"' || quote === "'" || quote === '`') && raw.endsWith(quote) && raw.length >= 2) {
      value = raw.slice(1, -1);
      if (quote === '"') value = value.replace(/\\n/g, '\n').replace(/\\r/g, '\r');
    }
    env[match[1]] = value;
  }
  return env;
}

/**
 * The environment NocoBase would run with in appDir: its .env, overridden by the process environment (dotenv never
 * replaces a variable that is already set). Returns only string values.
 */
export function loadAppEnv(appDir: string, processEnv: NodeJS.ProcessEnv = process.env): Record<string, string> {
  const file = path.join(appDir, '.env');
  const fromFile = fs.existsSync(file) ? parseEnvFile(fs.readFileSync(file, 'utf8')) : {};
  const env: Record<string, string> = { ...fromFile };
  for (const [key, value] of Object.entries(processEnv)) if (value !== undefined) env[key] = value;
  return env;
}

/** NocoBase's version in appDir, read from its installed @nocobase/server package (never loaded), or undefined. */
export function installedAppVersion(appDir: string): string | undefined {
  for (let dir = path.resolve(appDir); ; dir = path.dirname(dir)) {
    const pkg = path.join(dir, 'node_modules', '@nocobase', 'server', 'package.json');
    if (fs.existsSync(pkg)) {
      try {
        const version = (JSON.parse(fs.readFileSync(pkg, 'utf8')) as { version?: unknown }).version;
        return typeof version === 'string' ? version : undefined;
      } catch {
        return undefined;
      }
    }
    if (path.dirname(dir) === dir) return undefined;
  }
}
