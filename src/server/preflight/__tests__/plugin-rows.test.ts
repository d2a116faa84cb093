import type { DbConfig } from '../../dumpers/types';
import { parsePluginRows, pluginRowsSql } from '../plugin-rows';

const pg: DbConfig = { dialect: 'postgres', database: 'x', schema: 'my "schema"', tablePrefix: 'p_' };
const maria: DbConfig = { dialect: 'mariadb', database: 'x' };
const sqlite: DbConfig = { dialect: 'sqlite', storage: 'x.sqlite' };

describe('pluginRowsSql', () => {
  it('names the table and columns as NocoBase does: prefix, schema, DB_UNDERSCORED, quoted for the dialect', () => {
    expect(pluginRowsSql(pg, false)).toBe(
      `SELECT coalesce(jsonb_agg(jsonb_build_object('name', "name", 'packageName', "packageName", 'version', "version")), '[]'::jsonb)::text ` +
        `FROM "my ""schema"""."p_applicationPlugins" WHERE "enabled" = true`,
    );
    expect(pluginRowsSql(maria, true)).toBe(
      "SELECT JSON_ARRAYAGG(JSON_OBJECT('name', `name`, 'packageName', `package_name`, 'version', `version`)) FROM `application_plugins` WHERE `enabled` = 1",
    );
    expect(pluginRowsSql(sqlite, false)).toBe(
      `SELECT json_group_array(json_object('name', "name", 'packageName', "packageName", 'version', "version")) FROM "applicationPlugins" WHERE "enabled" = 1`,
    );
  });
});

describe('parsePluginRows', () => {
  it('answers the rows, missing values as null; no rows (NULL from MySQL) as none', () => {
    expect(parsePluginRows('[{"name":"users","packageName":"@nocobase/plugin-users","version":"2.2.15"},{"name":"x","packageName":null}]')).toEqual([
      { name: 'users', packageName: '@nocobase/plugin-users', version: '2.2.15' },
      { name: 'x', packageName: null, version: null },
    ]);
    expect(parsePluginRows(null)).toEqual([]);
    expect(parsePluginRows('[]')).toEqual([]);
  });

  it('refuses anything else: the caller then records no list rather than a wrong one', () => {
    expect(() => parsePluginRows('{"name":"users"}')).toThrow('Unexpected plugin list');
    expect(() => parsePluginRows('[{"packageName":"x"}]')).toThrow('Unexpected plugin list');
    expect(() => parsePluginRows('[null]')).toThrow('Unexpected plugin list');
    expect(() => parsePluginRows('not json')).toThrow();
  });
});
