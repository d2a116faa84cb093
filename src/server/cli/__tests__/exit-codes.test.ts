import { ArchiveError } from '../../archive/errors';
import { BackupError } from '../../errors';
import { ToolError, ToolNotFoundError } from '../../process/errors';
import { CliError, codeOf, EXIT, exitCodeOf, messageOf, UsageError } from '../exit-codes';

const tool = { command: 'pg_restore', exitCode: 1, stderrTail: 'line 1\npg_restore: error: could not connect\n' };

describe('exit codes', () => {
  it.each([
    [new UsageError('x'), EXIT.USAGE, 'USAGE'],
    [new ArchiveError('CHECKSUM_MISMATCH', 'damaged', { path: 'db/main.dump' }), EXIT.INVALID, 'CHECKSUM_MISMATCH'],
    [new ArchiveError('NOT_AN_ARCHIVE', 'no'), EXIT.INVALID, 'NOT_AN_ARCHIVE'],
    [
      new BackupError('DIALECT_MISMATCH', { backup: 'mysql', current: 'postgres' }, 422),
      EXIT.INVALID,
      'DIALECT_MISMATCH',
    ],
    [new BackupError('VERIFY_MISMATCH', { detail: 'x' }, 422), EXIT.INVALID, 'VERIFY_MISMATCH'],
    [
      new BackupError('TOOL_MISSING', { tool: 'pg_dump', fix: 'apt-get install postgresql-client' }, 500),
      EXIT.TOOL,
      'TOOL_MISSING',
    ],
    [new BackupError('TOOL_TOO_OLD', {}, 500), EXIT.TOOL, 'TOOL_TOO_OLD'],
    [new ToolNotFoundError('psql was not found', { ...tool, exitCode: null }), EXIT.TOOL, 'TOOL_MISSING'],
    [new ToolError('pg_restore exited with code 1', tool), EXIT.FAILED, 'TOOL_FAILED'],
    [new BackupError('BUSY', {}, 409), EXIT.FAILED, 'BUSY'],
    [new ArchiveError('ABORTED', 'Cancelled'), EXIT.FAILED, 'ABORTED'],
    [new BackupError('DISK_FULL', {}, 507), EXIT.FAILED, 'DISK_FULL'],
    [new CliError('upgrade failed', EXIT.FAILED, { cause: new ToolError('yarn', tool) }), EXIT.FAILED, 'TOOL_FAILED'],
    [new Error('boom'), EXIT.FAILED, 'INTERNAL'],
  ])('%s -> %i', (err, code, name) => {
    expect(exitCodeOf(err)).toBe(code);
    expect(codeOf(err)).toBe(name);
  });
});

describe('messages', () => {
  it('renders coded errors with the English locale text the UI uses', () => {
    expect(messageOf(new ArchiveError('CHECKSUM_MISMATCH', 'x', { path: 'db/main.dump' }))).toBe(
      'The archive is damaged: db/main.dump does not match its checksum.',
    );
    expect(messageOf(new BackupError('TOOL_MISSING', { tool: 'pg_dump', fix: 'Install it.' }, 500))).toBe(
      'The database tool pg_dump is not installed on the server. Install it.',
    );
  });

  it('says how to give a password', () => {
    expect(messageOf(new ArchiveError('PASSWORD_REQUIRED', 'x'))).toBe(
      'This backup is encrypted: enter its password. Set BACKUPS_MANAGER_PASSWORD, or run the command on a terminal to be asked.',
    );
  });

  it("falls back to the error's own message when the text needs values it lacks", () => {
    const err = new ArchiveError('MANIFEST_INVALID', 'Invalid manifest.json: parts must be an array', { reason: 'x' });
    expect(messageOf(err)).toBe('Invalid manifest.json: parts must be an array');
  });

  it("shows the end of a failed tool's stderr", () => {
    expect(messageOf(new ToolError('pg_restore exited with code 1', tool))).toBe(
      'pg_restore failed: line 1\npg_restore: error: could not connect',
    );
    expect(messageOf(new Error('plain'))).toBe('plain');
  });
});
