import { groupByLanguage, languageOf, offsiteStreakKey, staleAlert } from '../conditions';

const H = 3600 * 1000;
const t0 = new Date('2026-12-01T00:00:00Z');
const at = (hours: number) => new Date(t0.getTime() + hours * H);

describe('staleAlert', () => {
  const base = { thresholdHours: 24, watchStart: t0 };

  it('is quiet while the newest good backup is younger than the threshold, or the alert is off', () => {
    const lastSuccess = { id: 7, finishedAt: at(0) };
    expect(staleAlert({ ...base, now: at(23), lastSuccess })).toBeNull();
    expect(staleAlert({ ...base, now: at(24), lastSuccess })).toBeNull();
    for (const thresholdHours of [null, 0, -1]) expect(staleAlert({ ...base, thresholdHours, now: at(1000), lastSuccess })).toBeNull();
  });

  it('keeps one key for the whole stale period, and a new one once a backup succeeded again', () => {
    const first = staleAlert({ ...base, now: at(25), lastSuccess: { id: 7, finishedAt: at(0) } });
    expect(first).toEqual({ kind: 'staleBackup', key: 'stale:7', since: at(0) });
    // an hour later, a week later: the same period, the same key (the ledger lets it out once)
    expect(staleAlert({ ...base, now: at(26), lastSuccess: { id: 7, finishedAt: at(0) } })?.key).toBe('stale:7');
    expect(staleAlert({ ...base, now: at(24 * 7), lastSuccess: { id: 7, finishedAt: at(0) } })?.key).toBe('stale:7');
    // recovered: a backup at hour 30 ends the period; stale again past hour 54 under a new key
    expect(staleAlert({ ...base, now: at(40), lastSuccess: { id: 9, finishedAt: at(30) } })).toBeNull();
    expect(staleAlert({ ...base, now: at(55), lastSuccess: { id: 9, finishedAt: at(30) } })?.key).toBe('stale:9');
  });

  it('counts from the start of the watch while no backup ever succeeded', () => {
    expect(staleAlert({ ...base, now: at(10), lastSuccess: null })).toBeNull();
    expect(staleAlert({ ...base, now: at(25), lastSuccess: null })).toEqual({ kind: 'noBackupYet', key: 'stale:none', since: t0 });
  });

  it('takes fractions of an hour', () => {
    const lastSuccess = { id: 1, finishedAt: at(0) };
    expect(staleAlert({ ...base, thresholdHours: 0.5, now: at(0.4), lastSuccess })).toBeNull();
    expect(staleAlert({ ...base, thresholdHours: 0.5, now: at(0.6), lastSuccess })?.key).toBe('stale:1');
  });
});

describe('offsiteStreakKey', () => {
  it('names the streak after its first failure, none without a failure', () => {
    expect(offsiteStreakKey(12)).toBe('offsite:12');
    expect(offsiteStreakKey('12')).toBe('offsite:12');
    expect(offsiteStreakKey(null)).toBeNull();
  });
});

describe('languages', () => {
  it("uses the admin's language when translated, else the app's, else English", () => {
    expect(languageOf('zh-CN', 'en-US')).toBe('zh-CN');
    expect(languageOf('zh-cn', null)).toBe('zh-CN');
    expect(languageOf('fr-FR', 'zh-CN')).toBe('zh-CN');
    expect(languageOf(null, 'ja-JP')).toBe('en-US');
    expect(languageOf(undefined, undefined)).toBe('en-US');
  });

  it('groups recipients by language, one message each', () => {
    const groups = groupByLanguage([
      { id: 1, lang: 'en-US' },
      { id: 2, lang: 'zh-CN' },
      { id: 3, lang: 'en-US' },
    ]);
    expect([...groups]).toEqual([
      ['en-US', [1, 3]],
      ['zh-CN', [2]],
    ]);
  });
});
