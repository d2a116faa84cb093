import { UsageError } from './exit-codes';

/** Where scripts put an archive's password: never on the command line, where `ps` and shell history would show it. */
export const PASSWORD_ENV = 'BACKUPS_MANAGER_PASSWORD';

export type AskSecret = (question: string) => Promise<string | undefined>;

/**
 * The password to open an encrypted archive: $BACKUPS_MANAGER_PASSWORD, else asked on the terminal (not echoed).
 * Undefined without either: the archive reader then answers PASSWORD_REQUIRED.
 */
export async function passwordToOpen(
  env: Record<string, string | undefined>,
  ask: AskSecret = askHidden,
): Promise<string | undefined> {
  if (env[PASSWORD_ENV]) return env[PASSWORD_ENV];
  return ask('Password of the backup: ');
}

/** The password for a new encrypted backup: $BACKUPS_MANAGER_PASSWORD, else asked twice on the terminal. */
export async function passwordForNew(
  env: Record<string, string | undefined>,
  ask: AskSecret = askHidden,
): Promise<string> {
  if (env[PASSWORD_ENV]) return env[PASSWORD_ENV] as string;
  const first = await ask('Password for the backup: ');
  if (first === undefined) throw new UsageError(`--encrypt needs a terminal to ask the password, or ${PASSWORD_ENV}`);
  if (!first) throw new UsageError('The password is empty');
  if ((await ask('Repeat the password: ')) !== first) throw new UsageError('The passwords do not match');
  return first;
}

/** Reads a line from the terminal without echoing it; undefined when stdin is not a terminal. */
export function askHidden(question: string): Promise<string | undefined> {
  const stdin = process.stdin;
  if (!stdin.isTTY) return Promise.resolve(undefined);
  process.stderr.write(question);
  return new Promise((resolve) => {
    let value = '';
    const done = (result: string | undefined) => {
      stdin.setRawMode(false);
      stdin.pause();
      stdin.off('data', onData);
      process.stderr.write('\n');
      resolve(result);
    };
    const onData = (chunk: Buffer) => {
      for (const ch of chunk.toString('utf8')) {
        if (ch === '\r' || ch === '\n') return done(value);
        if (ch === '\u0003') return done(undefined); // Ctrl+C
        if (ch === '\u007f' || ch === '\b') value = value.slice(0, -1);
        else value += ch;
      }
    };
    stdin.setRawMode(true);
    stdin.resume();
    stdin.on('data', onData);
  });
}
