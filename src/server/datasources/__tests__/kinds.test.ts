import { describeDataSource, planSources, resolveRestoreSources, sourceDbConfig, sourceEntry, type DataSourceRow } from '../kinds';
import { codeOf } from '../../__tests__/code-of';

const pg: DataSourceRow = {
  key: 'crm',
  displayName: 'CRM',
  type: 'postgres',
  options: { host: 'db.internal', port: 6432, database: 'crm', username: 'app', password: 'S3CRET', schema: 'sales' },
};
const maria: DataSourceRow = { key: 'shop', type: 'mariadb', options: { host: '10.0.0.5', database: 'shop', username: 'root', password: '' } };
const mssql: DataSourceRow = { key: 'erp', type: 'mssql', options: { host: 'x' } };
const api: DataSourceRow = { key: 'rest', type: 'http-api', options: {} };

describe('external data sources', () => {
  it('says which sources have a dump tool, and why the others do not', () => {
    expect(describeDataSource(pg)).toEqual({ key: 'crm', title: 'CRM', type: 'postgres', supported: true });
    expect(describeDataSource(maria)).toMatchObject({ supported: true, title: 'shop' });
    expect(describeDataSource(mssql)).toMatchObject({ supported: false, reason: 'DATASOURCE_NO_TOOL' });
    expect(describeDataSource({ ...mssql, type: 'oracle' })).toMatchObject({ supported: false, reason: 'DATASOURCE_NO_TOOL' });
    expect(describeDataSource(api)).toMatchObject({ supported: false, reason: 'DATASOURCE_NOT_A_DATABASE' });
    expect(describeDataSource({ ...pg, key: '../x' })).toMatchObject({ supported: false, reason: 'DATASOURCE_KEY_UNSUPPORTED' });
    expect(JSON.stringify(describeDataSource(pg))).not.toContain('S3CRET');
  });

  it('reads the connection from the source options, default ports per engine', () => {
    expect(sourceDbConfig(pg)).toMatchObject({ dialect: 'postgres', host: 'db.internal', port: 6432, database: 'crm', user: 'app', password: 'S3CRET', schema: 'sales' });
    expect(sourceDbConfig(maria)).toMatchObject({ dialect: 'mariadb', host: '10.0.0.5', port: 3306, user: 'root', password: undefined });
    expect(sourceEntry('crm')).toBe('sources/crm/db.dump');
    expect(() => sourceEntry('a/b')).toThrow();
  });

  it('plans a backup: dumps what it can, skips the rest with the reason, refuses unknown keys', () => {
    const plan = planSources(['shop', 'erp', 'crm', 'rest', 'crm'], [pg, maria, mssql, api]);
    expect(plan.dump.map((d) => [d.key, d.db.dialect])).toEqual([
      ['crm', 'postgres'],
      ['shop', 'mariadb'],
    ]);
    expect(plan.skipped).toEqual([
      { key: 'erp', type: 'mssql', reason: 'DATASOURCE_NO_TOOL' },
      { key: 'rest', type: 'http-api', reason: 'DATASOURCE_NOT_A_DATABASE' },
    ]);
    expect(codeOf(() => planSources(['gone'], [pg]))).toEqual({ code: 'DATASOURCE_UNKNOWN', status: 400, params: { key: 'gone' } });
    expect(planSources(['gone', 'crm'], [pg], true).dump.map((d) => d.key)).toEqual(['crm']);
    expect(planSources(undefined, [pg])).toEqual({ dump: [], skipped: [] });
  });

  it('restores a source only when named, and only one the archive carries', () => {
    expect(resolveRestoreSources(undefined, ['crm'])).toEqual([]);
    expect(resolveRestoreSources(['crm'], ['crm', 'shop'])).toEqual(['crm']);
    expect(codeOf(() => resolveRestoreSources(['erp'], ['crm']))).toMatchObject({ code: 'DATASOURCE_NOT_IN_BACKUP', status: 400 });
  });
});
