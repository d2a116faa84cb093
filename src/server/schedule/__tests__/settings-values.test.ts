import { applyUpdate, checkOffsiteEncryption, DEFAULT_SETTINGS, fromRow } from '../settings-values';
import { codeOf } from '../../__tests__/code-of';

describe('fromRow', () => {
  it('fills defaults and normalises numbers', () => {
    expect(fromRow(null)).toEqual(DEFAULT_SETTINGS);
    expect(fromRow({ enabled: true, keepLast: '3', maxAgeDays: '10', cron: '0 1 * * *', extra: 1 })).toEqual({
      ...DEFAULT_SETTINGS,
      enabled: true,
      keepLast: 3,
      maxAgeDays: 10,
      cron: '0 1 * * *',
    });
  });
});

describe('applyUpdate', () => {
  it('merges the values the settings page sends', () => {
    const next = applyUpdate(DEFAULT_SETTINGS, {
      enabled: true,
      cron: ' 0 2 * * 1 ',
      timezone: 'Europe/Berlin',
      includeUploads: false,
      includePlugins: 'true',
      keepLast: 3,
      maxAgeDays: 30,
      clearPassword: true,
      drillEnabled: 'true',
      drillCron: ' 30 4 * * 6 ',
    });
    expect(next).toEqual({
      enabled: true,
      cron: '0 2 * * 1',
      timezone: 'Europe/Berlin',
      includeUploads: false,
      includePlugins: true,
      keepLast: 3,
      maxAgeDays: 30,
      keepDaily: null,
      keepWeekly: null,
      keepMonthly: null,
      keepYearly: null,
      excludeCollections: [],
      offsiteStorage: null,
      offsiteUnencrypted: false,
      subApps: [],
      dataSources: [],
      staleAfterHours: 48,
      alertEmailChannel: null,
      drillEnabled: true,
      drillCron: '30 4 * * 6',
      dumpJobs: null,
    });
    expect(applyUpdate(next, { maxAgeDays: null }).maxAgeDays).toBeNull();
    expect(applyUpdate(next, {})).toEqual(next);
  });

  it('answers 422 with a code for each mistake', () => {
    expect(codeOf(() => applyUpdate(DEFAULT_SETTINGS, { cron: '99 * * * *' }))).toMatchObject({
      code: 'CRON_INVALID',
      status: 422,
    });
    expect(codeOf(() => applyUpdate(DEFAULT_SETTINGS, { cron: '' }))).toMatchObject({ code: 'CRON_INVALID' });
    expect(codeOf(() => applyUpdate(DEFAULT_SETTINGS, { drillCron: '0 4 * *' }))).toMatchObject({ code: 'DRILL_CRON_INVALID', status: 422 });
    expect(DEFAULT_SETTINGS).toMatchObject({ drillEnabled: false, drillCron: '0 4 * * 0' });
    expect(codeOf(() => applyUpdate(DEFAULT_SETTINGS, { timezone: 'Mars/Base' }))).toEqual({
      code: 'TIMEZONE_INVALID',
      status: 422,
      params: { timezone: 'Mars/Base' },
    });
    for (const keepLast of [0, -1, 1.5, 'x', null]) {
      expect(codeOf(() => applyUpdate(DEFAULT_SETTINGS, { keepLast }))).toMatchObject({ code: 'KEEP_LAST_INVALID' });
    }
    for (const maxAgeDays of [0, 2.5, 'x']) {
      expect(codeOf(() => applyUpdate(DEFAULT_SETTINGS, { maxAgeDays }))).toMatchObject({ code: 'MAX_AGE_INVALID' });
    }
  });

  it('takes calendar rules; keepLast 0 only beside one; 0 or empty turns a rule off', () => {
    const next = applyUpdate(DEFAULT_SETTINGS, { keepLast: 0, keepDaily: '7', keepWeekly: 4, keepMonthly: 0, keepYearly: '' });
    expect(next).toMatchObject({ keepLast: 0, keepDaily: 7, keepWeekly: 4, keepMonthly: null, keepYearly: null });
    expect(codeOf(() => applyUpdate(next, { keepDaily: null, keepWeekly: 0 }))).toMatchObject({ code: 'KEEP_LAST_INVALID' });
    for (const bad of [-1, 1.5, 'x']) {
      expect(codeOf(() => applyUpdate(DEFAULT_SETTINGS, { keepMonthly: bad }))).toMatchObject({ code: 'RETENTION_RULE_INVALID', status: 422 });
    }
  });

  it('reads a row from before calendar rules with its old meaning', () => {
    const old = fromRow({ keepLast: 5, maxAgeDays: 30 });
    expect(old).toMatchObject({ keepLast: 5, maxAgeDays: 30, keepDaily: null, keepWeekly: null, keepMonthly: null, keepYearly: null });
    expect(fromRow({ keepLast: 0 }).keepLast).toBe(DEFAULT_SETTINGS.keepLast);
    expect(fromRow({ keepLast: 0, keepYearly: 3 })).toMatchObject({ keepLast: 0, keepYearly: 3 });
  });

  it('accepts 6-field expressions (seconds) on the server', () => {
    expect(applyUpdate(DEFAULT_SETTINGS, { cron: '*/5 * * * * *' }).cron).toBe('*/5 * * * * *');
  });
});

describe('excludeCollections', () => {
  it('reads a stored list, also when the JSON column comes back as text, and drops repeats', () => {
    expect(fromRow({ excludeCollections: ['logs', 'audit', 'logs'] }).excludeCollections).toEqual(['logs', 'audit']);
    expect(fromRow({ excludeCollections: '["logs"]' }).excludeCollections).toEqual(['logs']);
    expect(fromRow({ excludeCollections: 'not json' }).excludeCollections).toEqual([]);
    expect(fromRow({ excludeCollections: [1, 2] }).excludeCollections).toEqual([]);
  });

  it('takes a list of names, clears with [] or null, keeps the current list when absent', () => {
    const withLogs = applyUpdate(DEFAULT_SETTINGS, { excludeCollections: ['logs'] });
    expect(withLogs.excludeCollections).toEqual(['logs']);
    expect(applyUpdate(withLogs, { keepLast: 2 }).excludeCollections).toEqual(['logs']);
    expect(applyUpdate(withLogs, { excludeCollections: [] }).excludeCollections).toEqual([]);
    expect(applyUpdate(withLogs, { excludeCollections: null }).excludeCollections).toEqual([]);
  });

  it('refuses anything but a list of non-empty names with a 422', () => {
    for (const bad of ['logs', [''], [{ name: 'logs' }], 42]) {
      expect(codeOf(() => applyUpdate(DEFAULT_SETTINGS, { excludeCollections: bad }))).toMatchObject({
        code: 'COLLECTION_UNKNOWN',
        status: 422,
      });
    }
  });
});

describe('offsiteStorage', () => {
  it('reads a stored name, null for none or an empty value', () => {
    expect(fromRow({ offsiteStorage: 's3-backups' }).offsiteStorage).toBe('s3-backups');
    expect(fromRow({ offsiteStorage: '' }).offsiteStorage).toBeNull();
    expect(fromRow({ offsiteStorage: 7 }).offsiteStorage).toBeNull();
    expect(fromRow({}).offsiteStorage).toBeNull();
  });

  it('sets, keeps when absent, clears with null or an empty string, refuses a non-string with a 422', () => {
    const withS3 = applyUpdate(DEFAULT_SETTINGS, { offsiteStorage: 's3-backups' });
    expect(withS3.offsiteStorage).toBe('s3-backups');
    expect(applyUpdate(withS3, { keepLast: 2 }).offsiteStorage).toBe('s3-backups');
    expect(applyUpdate(withS3, { offsiteStorage: '' }).offsiteStorage).toBeNull();
    expect(applyUpdate(withS3, { offsiteStorage: null }).offsiteStorage).toBeNull();
    for (const bad of [42, ['s3'], { name: 's3' }, 'x'.repeat(256)]) {
      expect(codeOf(() => applyUpdate(DEFAULT_SETTINGS, { offsiteStorage: bad }))).toMatchObject({
        code: 'OFFSITE_STORAGE_UNKNOWN',
        status: 422,
      });
    }
  });
});

describe('encryption of scheduled backups copied off-site', () => {
  const offsite = applyUpdate(DEFAULT_SETTINGS, { enabled: true, offsiteStorage: 's3-backups' });

  it('is on by default: the plain copy needs an explicit choice, stored as offsiteUnencrypted', () => {
    expect(fromRow({}).offsiteUnencrypted).toBe(false);
    expect(fromRow({ offsiteUnencrypted: true }).offsiteUnencrypted).toBe(true);
    expect(applyUpdate(offsite, { offsiteUnencrypted: 'true' }).offsiteUnencrypted).toBe(true);
    expect(applyUpdate(applyUpdate(offsite, { offsiteUnencrypted: true }), {}).offsiteUnencrypted).toBe(true);
  });

  it('refuses an enabled schedule with an off-site copy and no password, unless the plain copy was chosen', () => {
    expect(codeOf(() => checkOffsiteEncryption(offsite, false))).toMatchObject({
      code: 'OFFSITE_PASSWORD_REQUIRED',
      status: 422,
    });
    expect(codeOf(() => checkOffsiteEncryption(offsite, true))).toBeNull();
    expect(codeOf(() => checkOffsiteEncryption({ ...offsite, offsiteUnencrypted: true }, false))).toBeNull();
    expect(codeOf(() => checkOffsiteEncryption({ ...offsite, enabled: false }, false))).toBeNull();
    expect(codeOf(() => checkOffsiteEncryption({ ...offsite, offsiteStorage: null }, false))).toBeNull();
  });
});

describe('parallel dump jobs setting', () => {
  it('takes a whole number 1..8, empty or null for automatic; anything else is a 422', () => {
    expect(applyUpdate(DEFAULT_SETTINGS, { dumpJobs: 2 }).dumpJobs).toBe(2);
    expect(applyUpdate(DEFAULT_SETTINGS, { dumpJobs: '1' }).dumpJobs).toBe(1);
    for (const auto of [null, '']) expect(applyUpdate({ ...DEFAULT_SETTINGS, dumpJobs: 4 }, { dumpJobs: auto }).dumpJobs).toBeNull();
    expect(applyUpdate({ ...DEFAULT_SETTINGS, dumpJobs: 4 }, {}).dumpJobs).toBe(4);
    for (const bad of [0, 9, 1.5, 'x', true]) {
      expect(codeOf(() => applyUpdate(DEFAULT_SETTINGS, { dumpJobs: bad }))).toMatchObject({ code: 'DUMP_JOBS_INVALID', status: 422, params: { max: 8 } });
    }
    // A row from before the setting, or a stored value out of range: automatic.
    expect(fromRow({}).dumpJobs).toBeNull();
    expect(fromRow({ dumpJobs: 3 }).dumpJobs).toBe(3);
    expect(fromRow({ dumpJobs: 99 }).dumpJobs).toBeNull();
  });
});

describe('alert settings', () => {
  it('takes hours (fractions too), empty or 0 for off, and an e-mail channel name', () => {
    expect(applyUpdate(DEFAULT_SETTINGS, { staleAfterHours: '26' }).staleAfterHours).toBe(26);
    expect(applyUpdate(DEFAULT_SETTINGS, { staleAfterHours: 0.5 }).staleAfterHours).toBe(0.5);
    for (const off of [null, '', 0]) expect(applyUpdate(DEFAULT_SETTINGS, { staleAfterHours: off }).staleAfterHours).toBeNull();
    for (const bad of [-1, 'x', 87601, true]) {
      expect(codeOf(() => applyUpdate(DEFAULT_SETTINGS, { staleAfterHours: bad }))).toMatchObject({ code: 'STALE_HOURS_INVALID', status: 422 });
    }
    expect(applyUpdate(DEFAULT_SETTINGS, { alertEmailChannel: 'smtp' }).alertEmailChannel).toBe('smtp');
    expect(applyUpdate({ ...DEFAULT_SETTINGS, alertEmailChannel: 'smtp' }, { alertEmailChannel: '' }).alertEmailChannel).toBeNull();
    expect(codeOf(() => applyUpdate(DEFAULT_SETTINGS, { alertEmailChannel: 5 }))).toMatchObject({ code: 'EMAIL_CHANNEL_UNKNOWN' });
  });

  it('reads a stored null as off and a row from before the setting as the default', () => {
    expect(fromRow({ staleAfterHours: null }).staleAfterHours).toBeNull();
    expect(fromRow({}).staleAfterHours).toBe(48);
    expect(fromRow({ staleAfterHours: '12.5', alertEmailChannel: 'smtp' })).toMatchObject({ staleAfterHours: 12.5, alertEmailChannel: 'smtp' });
  });
});
