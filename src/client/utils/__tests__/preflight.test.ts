import i18next from 'i18next';
import { NAMESPACE } from '../../../constants';
import type { PreflightReport } from '../../types';
import { preflightAllows, preflightView, refusedPreflight } from '../preflight';

// A real i18next set up as the admin shell sets it (no key or namespace separators), translating as locale.ts does.
const TEST_KEYS = {
  'en-US': {
    T_PLUGIN_MISSING: 'The plugin {{name}} {{version}} is not installed here.',
    T_PLUGIN_MISSING_FIX: 'Install {{name}} first, or restore a backup made without it.',
    T_VERSION_OLDER: 'The backup was made by NocoBase {{backup}}; this is {{current}}.',
    T_VERSION_OLDER_FIX: 'NocoBase upgrades the restored data to {{current}}.',
    T_DIALECT: 'Database: {{dialect}}.',
  },
  'zh-CN': {
    T_PLUGIN_MISSING: '此处未安装插件 {{name}} {{version}}。',
    T_PLUGIN_MISSING_FIX: '请先安装 {{name}}，或还原不含它的备份。',
    T_VERSION_OLDER: '备份由 NocoBase {{backup}} 生成；当前为 {{current}}。',
    T_VERSION_OLDER_FIX: 'NocoBase 会将还原的数据升级到 {{current}}。',
    T_DIALECT: '数据库：{{dialect}}。',
  },
};

async function translator(lng: 'en-US' | 'zh-CN') {
  const i18n = i18next.createInstance();
  await i18n.init({ lng, keySeparator: false, nsSeparator: false, resources: { [lng]: { [NAMESPACE]: TEST_KEYS[lng], client: {} } } });
  return (key: string, options: Record<string, unknown> = {}) =>
    String(i18n.t(key, { ns: [NAMESPACE, 'client'], interpolation: { escapeValue: false }, ...options }));
}

const report: PreflightReport = {
  checks: [
    { id: 'dialect', level: 'ok', code: 'T_DIALECT', params: { dialect: 'sqlite' }, message: 'Database: sqlite.' },
    {
      id: 'version',
      level: 'warning',
      code: 'T_VERSION_OLDER',
      params: { backup: '2.2.10', current: '2.2.15' },
      message: 'The backup was made by NocoBase 2.2.10; this is 2.2.15.',
    },
    {
      id: 'plugin:@acme/plugin-x',
      level: 'blocking',
      code: 'T_PLUGIN_MISSING',
      params: { name: '@acme/plugin-x', version: '1.0.0' },
      message: 'The plugin @acme/plugin-x 1.0.0 is not installed here.',
    },
  ],
  blocking: 1,
  warnings: 1,
  upgrade: true,
};

describe('preflightView', () => {
  it('is null for a server or archive without a report', () => {
    const t = (k: string) => k;
    expect(preflightView(undefined, t)).toBeNull();
    expect(preflightView(null, t)).toBeNull();
    expect(preflightView({} as PreflightReport, t)).toBeNull();
  });

  it('translates each check and its fix with its parameters, blocking first, in en-US', async () => {
    const view = preflightView(report, await translator('en-US'));
    expect(view).toEqual({
      lines: [
        {
          id: 'plugin:@acme/plugin-x',
          level: 'blocking',
          text: 'The plugin @acme/plugin-x 1.0.0 is not installed here.',
          fix: 'Install @acme/plugin-x first, or restore a backup made without it.',
        },
        {
          id: 'version',
          level: 'warning',
          text: 'The backup was made by NocoBase 2.2.10; this is 2.2.15.',
          fix: 'NocoBase upgrades the restored data to 2.2.15.',
        },
        { id: 'dialect', level: 'ok', text: 'Database: sqlite.' },
      ],
      blocking: 1,
      warnings: 1,
      upgrade: true,
    });
  });

  it('in zh-CN', async () => {
    const view = preflightView(report, await translator('zh-CN'));
    expect(view?.lines.map((l) => [l.text, l.fix])).toEqual([
      ['此处未安装插件 @acme/plugin-x 1.0.0。', '请先安装 @acme/plugin-x，或还原不含它的备份。'],
      ['备份由 NocoBase 2.2.10 生成；当前为 2.2.15。', 'NocoBase 会将还原的数据升级到 2.2.15。'],
      ['数据库：sqlite。', undefined],
    ]);
  });

  it("falls back to the server's English for a code unknown here, without a fix", async () => {
    const view = preflightView(
      {
        checks: [{ id: 'new', level: 'warning', code: 'T_FROM_A_NEWER_SERVER', params: { n: 3 }, message: 'Something new (3).' }],
        blocking: 0,
        warnings: 1,
        upgrade: false,
      },
      await translator('zh-CN'),
    );
    expect(view).toEqual({
      lines: [{ id: 'new', level: 'warning', text: 'Something new (3).' }],
      blocking: 0,
      warnings: 1,
      upgrade: false,
    });
  });

  it('keeps a parameter named like an i18next option from changing the lookup', async () => {
    const view = preflightView(
      {
        checks: [{ id: 'd', level: 'ok', code: 'T_DIALECT', params: { dialect: 'postgres', lng: 'xx', ns: 'other', defaultValue: 'x' }, message: 'm' }],
        blocking: 0,
        warnings: 0,
        upgrade: false,
      },
      await translator('en-US'),
    );
    expect(view?.lines[0].text).toBe('Database: postgres.');
  });

  it('takes an unknown level as blocking, and never counts fewer than the server', async () => {
    const t = await translator('en-US');
    const view = preflightView(
      { checks: [{ id: 'x', level: 'fatal' as never, code: 'T_DIALECT', params: { dialect: 'd' }, message: 'm' }], blocking: 0, warnings: 2, upgrade: true },
      t,
    );
    expect(view?.lines[0].level).toBe('blocking');
    expect([view?.blocking, view?.warnings]).toEqual([1, 2]);
  });
});

describe('preflightAllows', () => {
  const view = (blocking: number, warnings: number) => ({ lines: [], blocking, warnings, upgrade: true });

  it('allows a restore without a report, or with nothing to note', () => {
    expect(preflightAllows(null, false)).toBe(true);
    expect(preflightAllows(view(0, 0), false)).toBe(true);
  });

  it('never while a check blocks, accepted warnings or not', () => {
    expect(preflightAllows(view(1, 0), false)).toBe(false);
    expect(preflightAllows(view(1, 2), true)).toBe(false);
  });

  it('with warnings only once they are accepted', () => {
    expect(preflightAllows(view(0, 2), false)).toBe(false);
    expect(preflightAllows(view(0, 2), true)).toBe(true);
  });
});

describe('refusedPreflight', () => {
  const refusal = (code: string, preflight?: unknown) => ({ response: { status: 409, data: { errors: [{ code, message: 'm', preflight }] } } });

  it("reads the report of the restore's pre-flight refusals", () => {
    expect(refusedPreflight(refusal('PREFLIGHT_BLOCKED', report))).toBe(report);
    expect(refusedPreflight(refusal('PREFLIGHT_WARNINGS_NOT_ACCEPTED', report))).toBe(report);
  });

  it('is null for other errors, a refusal without a report, or no answer at all', () => {
    expect(refusedPreflight(refusal('BUSY', report))).toBeNull();
    expect(refusedPreflight(refusal('PREFLIGHT_BLOCKED'))).toBeNull();
    expect(refusedPreflight(refusal('PREFLIGHT_BLOCKED', { checks: 'x' }))).toBeNull();
    expect(refusedPreflight(new Error('Network Error'))).toBeNull();
    expect(refusedPreflight(undefined)).toBeNull();
  });
});
