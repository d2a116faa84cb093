import i18next from 'i18next';
import { NAMESPACE } from '../../../constants';
import enUS from '../../../locale/en-US.json';
import zhCN from '../../../locale/zh-CN.json';
import { ALERT_KINDS, alertText, isAlertKind, pagePath } from '../kinds';

// The real locale files through a real i18next, as the server's app.i18n has them.
const i18n = i18next.createInstance();
beforeAll(async () => {
  await i18n.init({ lng: 'en-US', fallbackLng: 'en-US', resources: { 'en-US': { [NAMESPACE]: enUS }, 'zh-CN': { [NAMESPACE]: zhCN } } });
});

describe('alert texts', () => {
  it('every kind has its title and content in both languages', () => {
    for (const keys of Object.values(ALERT_KINDS)) {
      expect(enUS).toHaveProperty([keys.title]);
      expect(enUS).toHaveProperty([keys.content]);
      expect(zhCN).toHaveProperty([keys.title]);
      expect(zhCN).toHaveProperty([keys.content]);
    }
  });

  it('says what happened and links to the page, in the asked language', () => {
    const url = pagePath('/');
    expect(url).toBe('/admin/settings/backups-manager');
    const en = alertText(i18n, 'staleBackup', { hours: 24, time: '2026-12-01 03:00' }, 'en-US', url);
    expect(en.title).toBe('No successful backup for more than 24 hours');
    expect(en.content).toContain('2026-12-01 03:00');
    expect(en.body).toContain(`Open Settings > Backups Manager: ${url}`);
    const zh = alertText(i18n, 'drillFailed', { file: 'a.nbbm', reason: 'bad <x> & {{y}}' }, 'zh-CN', url);
    expect(zh.title).toBe('还原演练失败');
    // values are text, never escaped or interpolated again
    expect(zh.content).toBe('备份 a.nbbm 的还原演练失败：bad <x> & {{y}}');
    expect(zh.body).toContain(url);
  });

  it('puts the page under the public path', () => {
    expect(pagePath('/nocobase')).toBe('/nocobase/admin/settings/backups-manager');
    expect(pagePath('/nocobase/')).toBe('/nocobase/admin/settings/backups-manager');
  });

  it('knows its kinds', () => {
    expect(isAlertKind('drillFailed')).toBe(true);
    expect(isAlertKind('toString')).toBe(false);
  });
});
