import i18next from 'i18next';
import { NAMESPACE } from '../../constants';
import enUS from '../../locale/en-US.json';
import zhCN from '../../locale/zh-CN.json';
import { ArchiveError } from '../archive/errors';
import { CliError, EXIT, UsageError } from '../cli/exit-codes';
import { BackupError, busy, CodedError, renderError, translate } from '../errors';
import { ToolError, ToolNotFoundError } from '../process/errors';

// An i18next instance set up as NocoBase's app.i18n (helper.js createI18n), holding our two locale files.
async function appI18n(lng = 'en-US') {
  const i18n = i18next.createInstance();
  await i18n.init({ lng, resources: {}, keySeparator: false, nsSeparator: false });
  i18n.addResourceBundle('en-US', NAMESPACE, enUS, true, false);
  i18n.addResourceBundle('zh-CN', NAMESPACE, zhCN, true, false);
  return i18n;
}

describe('renderError', () => {
  it('renders a code with its params in en-US and zh-CN, values not HTML-escaped', async () => {
    const i18n = await appI18n();
    const err = new BackupError('COLLECTION_UNKNOWN', { name: 'logs & <old>' }, 400);
    expect(renderError(i18n, err, 'en-US')).toBe('Unknown collection: logs & <old>');
    expect(renderError(i18n, err, 'zh-CN')).toBe('未知的数据表：logs & <old>');
  });

  it('renders archive errors and codes without params the same way', async () => {
    const i18n = await appI18n();
    const damaged = new ArchiveError('CHECKSUM_MISMATCH', 'sha256 differs', { path: 'db/main.dump' });
    expect(renderError(i18n, damaged, 'en-US')).toBe('The archive is damaged: db/main.dump does not match its checksum.');
    expect(renderError(i18n, damaged, 'zh-CN')).toBe('备份文件已损坏：db/main.dump 与其校验和不一致。');
    expect(renderError(i18n, busy(), 'zh-CN')).toBe('另一个备份或还原任务正在进行。请在其完成后重试。');
  });

  it("renders a tool's failure with the tool's name and the end of what it said", async () => {
    const i18n = await appI18n();
    const err = new ToolError('pg_dump exited with code 1', { command: 'pg_dump', exitCode: 1, stderrTail: 'pg_dump: error: connection refused\n' });
    expect(renderError(i18n, err, 'en-US')).toBe('pg_dump failed: pg_dump: error: connection refused');
    // Nothing on stderr: the English message stands in.
    const silent = new ToolError('pg_dump was killed', { command: 'pg_dump', exitCode: null, stderrTail: '', signal: 'SIGKILL' });
    expect(renderError(i18n, silent, 'zh-CN')).toBe('pg_dump 执行失败：pg_dump was killed');
  });

  it('uses the translator\'s own language when none is named (a request\'s)', async () => {
    const request = await appI18n('zh-CN');
    expect(renderError(request, busy())).toBe('另一个备份或还原任务正在进行。请在其完成后重试。');
    expect(translate(request, 'Restore interrupted')).toBe(zhCN['Restore interrupted']);
  });

  it('renders an unknown error by its message, and a code without a text (a CLI error) by its own message', async () => {
    const i18n = await appI18n();
    expect(renderError(i18n, new Error('socket hang up'), 'zh-CN')).toBe('socket hang up');
    expect(renderError(i18n, 'plain string', 'en-US')).toBe('plain string');
    expect(renderError(i18n, undefined, 'en-US')).toBe('Unknown error');
    expect(renderError(i18n, new CliError('The Backups Manager plugin is not enabled in this app', EXIT.INVALID), 'en-US')).toBe(
      'The Backups Manager plugin is not enabled in this app',
    );
  });

  it('knows the family by class, not by a code: a Node error with a code is not ours', async () => {
    const errors = [
      busy(),
      new ArchiveError('ABORTED', 'cancelled'),
      new ToolNotFoundError('pg_dump not found', { command: 'pg_dump', exitCode: null, stderrTail: '' }),
      new CliError('x', EXIT.FAILED),
      new UsageError('y'),
    ];
    for (const err of errors) expect(err).toBeInstanceOf(CodedError);
    const enoent = Object.assign(new Error("ENOENT: no such file or directory, open 'x'"), { code: 'ENOENT' });
    expect(enoent).not.toBeInstanceOf(CodedError);
    expect(renderError(await appI18n(), enoent, 'en-US')).toBe("ENOENT: no such file or directory, open 'x'");
  });
});
