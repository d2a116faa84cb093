import { isSubAppName, resolveBackupSubApps, resolveRestoreSelection, subAppEntry, subAppList } from '../selection';
import { codeOf } from '../../__tests__/code-of';

describe('sub-application selection', () => {
  it('knows sub-application names and where their dumps go', () => {
    expect(isSubAppName('crm_2')).toBe(true);
    for (const bad of ['main', '../x', 'a/b', '', '-a', 'x'.repeat(65), 7]) expect(isSubAppName(bad)).toBe(false);
    expect(subAppEntry('crm', 'postgres')).toBe('apps/crm/db.dump');
    expect(subAppEntry('crm', 'sqlite')).toBe('apps/crm/db.sqlite');
    expect(() => subAppEntry('../etc', 'postgres')).toThrow();
  });

  it('reads stored lists, also as JSON text', () => {
    expect(subAppList(null)).toEqual([]);
    expect(subAppList('["a","a","*"]')).toEqual(['a', '*']);
    expect(subAppList('nope')).toBeNull();
    expect(subAppList(['main'])).toBeNull();
  });

  it('backs up the chosen ones, all for *, and refuses an unknown one unless a schedule skips it', () => {
    const existing = ['s2', 's1'];
    expect(resolveBackupSubApps(undefined, existing)).toEqual([]);
    expect(resolveBackupSubApps(['*'], existing)).toEqual(['s1', 's2']);
    expect(resolveBackupSubApps(['s2'], existing)).toEqual(['s2']);
    expect(codeOf(() => resolveBackupSubApps(['s3'], existing))).toEqual({ code: 'SUBAPP_UNKNOWN', status: 400, params: { name: 's3' } });
    expect(codeOf(() => resolveBackupSubApps(['../x'], existing))).toMatchObject({ code: 'SUBAPP_UNKNOWN', status: 400 });
    expect(resolveBackupSubApps(['s3', 's1'], existing, true)).toEqual(['s1']);
  });

  it('restores the main application by default, or exactly what was chosen from the archive', () => {
    expect(resolveRestoreSelection(undefined, ['s1'])).toEqual({ main: true, subApps: [] });
    expect(resolveRestoreSelection(['s1'], ['s1', 's2'])).toEqual({ main: false, subApps: ['s1'] });
    expect(resolveRestoreSelection('main,s2', ['s1', 's2'])).toEqual({ main: true, subApps: ['s2'] });
    expect(codeOf(() => resolveRestoreSelection(['s3'], ['s1']))).toMatchObject({ code: 'SUBAPP_NOT_IN_BACKUP', status: 400 });
    expect(codeOf(() => resolveRestoreSelection([], ['s1']))).toMatchObject({ code: 'RESTORE_NOTHING_CHOSEN', status: 400 });
    // No application, but data sources chosen: only those are restored.
    expect(resolveRestoreSelection([], ['s1'], 1)).toEqual({ main: false, subApps: [] });
  });
});
