import { UsageError } from './exit-codes';

export type CommandName = 'backup' | 'restore' | 'list' | 'verify' | 'recover' | 'doctor' | 'help';

export interface CliArgs {
  command: CommandName;
  /** restore and verify: the archive (a path, or a file name in the app's backup folder). */
  file?: string;
  json: boolean;
  /** The NocoBase app folder (its .env, storage, node_modules); default: the current directory. */
  appDir?: string;
  uploads: boolean;
  plugins: boolean;
  /** backup: encrypt with the password from BACKUPS_MANAGER_PASSWORD or asked on the terminal. */
  encrypt: boolean;
  out?: string;
  yes: boolean;
  safetyBackup: boolean;
  upgrade: boolean;
  /** restore: go on although the app's server seems to be running. */
  force: boolean;
  /** restore, verify: accept an archive not signed by this app's APP_KEY (its SQL is run). */
  trustForeign: boolean;
  /** restore: go on although the pre-flight report has warnings. */
  acceptWarnings: boolean;
  /** restore: a backup of another dialect (SQLite) is moved into this app's database through NocoBase. */
  intoDialect: boolean;
}

const FLAGS: Record<string, { key: keyof CliArgs; value: boolean; commands: CommandName[] }> = {
  '--json': { key: 'json', value: true, commands: ['backup', 'restore', 'list', 'verify', 'recover', 'doctor'] },
  '--no-uploads': { key: 'uploads', value: false, commands: ['backup'] },
  '--no-plugins': { key: 'plugins', value: false, commands: ['backup'] },
  '--encrypt': { key: 'encrypt', value: true, commands: ['backup'] },
  '--yes': { key: 'yes', value: true, commands: ['restore'] },
  '-y': { key: 'yes', value: true, commands: ['restore'] },
  '--trust-foreign': { key: 'trustForeign', value: true, commands: ['restore', 'verify'] },
  '--no-safety-backup': { key: 'safetyBackup', value: false, commands: ['restore'] },
  '--skip-upgrade': { key: 'upgrade', value: false, commands: ['restore'] },
  '--force': { key: 'force', value: true, commands: ['restore', 'recover'] },
  '--accept-warnings': { key: 'acceptWarnings', value: true, commands: ['restore'] },
  '--into-dialect': { key: 'intoDialect', value: true, commands: ['restore'] },
};
const VALUES: Record<string, { key: 'out' | 'appDir'; commands: CommandName[] }> = {
  '--out': { key: 'out', commands: ['backup'] },
  '--app-dir': { key: 'appDir', commands: ['backup', 'restore', 'list', 'verify', 'recover', 'doctor'] },
};
const COMMANDS: CommandName[] = ['backup', 'restore', 'list', 'verify', 'recover', 'doctor', 'help'];

export const USAGE = `Usage: nb-backups <command> [options]

Backs up and restores a NocoBase application without starting it. Run it in the app's folder (or pass
--app-dir): it reads the app's .env (variables set in the environment win) and STORAGE_PATH (default ./storage).

Commands:
  backup [--no-uploads] [--no-plugins] [--encrypt] [--out <dir>]
                          make a backup (default folder: storage/backups-manager/<app>)
  restore <file> [--yes] [--no-safety-backup] [--skip-upgrade] [--force] [--trust-foreign] [--accept-warnings]
          [--into-dialect]
                          restore a backup, then run \`yarn nocobase upgrade\` (skipped when NocoBase and every
                          plugin are at the backup's versions); --into-dialect moves a SQLite backup into this
                          app's PostgreSQL, MariaDB or MySQL database, or a PostgreSQL, MariaDB or MySQL
                          backup into this app's SQLite (same NocoBase and plugin versions; pg_restore reads a
                          PostgreSQL dump)
  list                    list the backups in the app's backup folder
  verify <file> [--trust-foreign]
                          check a backup's checksums and restore it into a scratch copy
  recover [--force]       finish a restore a crash interrupted: roll it back from its safety backup, or
                          complete it from its verified copy (the app does this itself when it starts)
  doctor                  check that backups would work here: the dump tool and its version, free disk for a
                          backup of today's size, write access to the backup folder, the schedule's next run

Options:
  --json            print one JSON result on stdout (progress still goes to stderr)
  --app-dir <dir>   the NocoBase app folder (default: the current folder)

Encrypted backups: the password comes from BACKUPS_MANAGER_PASSWORD, or is asked on the terminal.

Backups made elsewhere: restore and verify run the SQL inside a backup, so a backup not signed with this app's
APP_KEY (another app, a version before signatures, a file altered since) is refused unless --trust-foreign is given.

Pre-flight: before anything is touched, restore prints what the backup needs and what this app has (plugins,
NocoBase version, DB_UNDERSCORED, schema, prefix, dump format, free disk, privileges). A blocking check stops it;
warnings need --accept-warnings.

Exit codes: 0 ok, 1 usage, 2 bad input or verify mismatch, 3 database tool missing or too old, 4 failure;
doctor: 0 all ok, 5 warnings only, 6 something blocks backups.
`;

/** argv without `node script`. Throws UsageError with the reason. */
export function parseArgs(argv: string[]): CliArgs {
  const args: CliArgs = {
    command: 'help',
    json: false,
    uploads: true,
    plugins: true,
    encrypt: false,
    yes: false,
    safetyBackup: true,
    upgrade: true,
    force: false,
    trustForeign: false,
    acceptWarnings: false,
    intoDialect: false,
  };
  const rest = [...argv];
  const first = rest.shift();
  if (first === undefined || first === '--help' || first === '-h') return args;
  if (!COMMANDS.includes(first as CommandName)) throw new UsageError(`Unknown command: ${first}`);
  args.command = first as CommandName;
  const positional: string[] = [];
  while (rest.length) {
    const arg = rest.shift() as string;
    if (arg === '--help' || arg === '-h') return { ...args, command: 'help' };
    const [name, inline] =
      arg.startsWith('--') && arg.includes('=')
        ? [arg.slice(0, arg.indexOf('=')), arg.slice(arg.indexOf('=') + 1)]
        : [arg, undefined];
    const flag = FLAGS[name];
    const valued = VALUES[name];
    if (flag || valued) {
      const spec = flag ?? valued;
      if (!spec.commands.includes(args.command)) throw new UsageError(`${name} does not apply to ${args.command}`);
      if (flag) {
        if (inline !== undefined) throw new UsageError(`${name} takes no value`);
        (args as unknown as Record<string, boolean>)[flag.key] = flag.value;
      } else {
        const value = inline ?? rest.shift();
        if (!value || (inline === undefined && value.startsWith('-'))) throw new UsageError(`${name} needs a value`);
        args[valued.key] = value;
      }
    } else if (arg.startsWith('-') && arg !== '-') {
      throw new UsageError(`Unknown option: ${arg}`);
    } else {
      positional.push(arg);
    }
  }
  const wantsFile = args.command === 'restore' || args.command === 'verify';
  if (wantsFile && positional.length !== 1) throw new UsageError(`${args.command} needs exactly one backup file`);
  if (!wantsFile && positional.length) throw new UsageError(`Unexpected argument: ${positional[0]}`);
  if (wantsFile) args.file = positional[0];
  return args;
}
