import { parseArgs } from '../args';
import { UsageError } from '../exit-codes';

const defaults = {
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

describe('nb-backups arguments', () => {
  it('shows help without a command or with --help', () => {
    expect(parseArgs([]).command).toBe('help');
    expect(parseArgs(['--help']).command).toBe('help');
    expect(parseArgs(['restore', 'x.nbbm', '-h']).command).toBe('help');
  });

  it('parses backup with its flags and --out in both spellings', () => {
    expect(parseArgs(['backup'])).toEqual({ command: 'backup', ...defaults });
    expect(parseArgs(['backup', '--no-uploads', '--no-plugins', '--out', '/b', '--json'])).toMatchObject({
      uploads: false,
      plugins: false,
      out: '/b',
      json: true,
    });
    expect(parseArgs(['backup', '--out=/x y']).out).toBe('/x y');
    expect(parseArgs(['backup', '--encrypt']).encrypt).toBe(true);
    expect(parseArgs(['list', '--app-dir', '/srv/app']).appDir).toBe('/srv/app');
  });

  it('takes --into-dialect on restore only', () => {
    expect(parseArgs(['restore', 'a.nbbm', '--into-dialect'])).toMatchObject({ command: 'restore', intoDialect: true });
    expect(() => parseArgs(['backup', '--into-dialect'])).toThrow();
  });

  it('parses restore and verify with exactly one file', () => {
    expect(parseArgs(['restore', 'a.nbbm', '--yes', '--no-safety-backup', '--skip-upgrade', '--force'])).toEqual({
      command: 'restore',
      file: 'a.nbbm',
      ...defaults,
      yes: true,
      safetyBackup: false,
      upgrade: false,
      force: true,
    });
    expect(parseArgs(['restore', '-y', 'a.nbbm']).yes).toBe(true);
    // Backups made elsewhere (issue 15, item 8): the acknowledgement, for restore and verify only.
    expect(parseArgs(['restore', 'a.nbbm', '--trust-foreign']).trustForeign).toBe(true);
    expect(parseArgs(['verify', 'a.nbbm', '--trust-foreign']).trustForeign).toBe(true);
    expect(() => parseArgs(['backup', '--trust-foreign'])).toThrow(/--trust-foreign does not apply to backup/);
    // The pre-flight report's warnings (issue 16): accepted for a restore only.
    expect(parseArgs(['restore', 'a.nbbm', '--accept-warnings']).acceptWarnings).toBe(true);
    expect(() => parseArgs(['verify', 'a.nbbm', '--accept-warnings'])).toThrow(/--accept-warnings does not apply to verify/);
    expect(parseArgs(['verify', '--json', './b.nbbm'])).toMatchObject({
      command: 'verify',
      file: './b.nbbm',
      json: true,
    });
  });

  it.each([
    [['frob'], /Unknown command: frob/],
    [['backup', '--frob'], /Unknown option: --frob/],
    [['backup', '--yes'], /--yes does not apply to backup/],
    [['restore', 'a', '--encrypt'], /--encrypt does not apply to restore/],
    [['verify', 'a', '--skip-upgrade'], /does not apply to verify/],
    [['backup', '--out'], /--out needs a value/],
    [['backup', '--out', '--json'], /--out needs a value/],
    [['backup', '--json=1'], /takes no value/],
    [['restore'], /exactly one backup file/],
    [['verify', 'a', 'b'], /exactly one backup file/],
    [['list', 'extra'], /Unexpected argument: extra/],
  ])('refuses %j', (argv, message) => {
    expect(() => parseArgs(argv as string[])).toThrow(UsageError);
    expect(() => parseArgs(argv as string[])).toThrow(message as RegExp);
  });
});
