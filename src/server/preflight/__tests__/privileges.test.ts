import { missingPrivileges } from '../privileges';

const pg = { dialect: 'postgres' as const, database: 'nb' };
const my = { dialect: 'mariadb' as const, database: 'nb' };

describe('missingPrivileges', () => {
  it('PostgreSQL: a superuser has everything; otherwise the schema owner with CREATE on the database', () => {
    expect(missingPrivileges(pg, JSON.stringify({ user: 'root', super: true }))).toBe('');
    expect(missingPrivileges(pg, JSON.stringify({ user: 'app', super: false, ownsSchema: true, createDb: true }))).toBe('');
    expect(missingPrivileges(pg, JSON.stringify({ user: 'app', super: false, ownsSchema: false, createDb: false, db: 'nb' }))).toBe(
      'ownership of schema "public", CREATE on database "nb" (user app)',
    );
  });
  it('PostgreSQL with a prefix: CREATE on the schema and the prefixed tables owned', () => {
    const prefixed = { ...pg, schema: 's', tablePrefix: 'nb_' };
    expect(missingPrivileges(prefixed, JSON.stringify({ user: 'app', super: false, createInSchema: true, ownsPrefixed: false }))).toBe(
      'ownership of the tables prefixed "nb_" in "s" (user app)',
    );
  });
  it('MySQL family: DROP and CREATE, globally or on the database; an account with roles cannot be told', () => {
    expect(missingPrivileges(my, JSON.stringify({ user: 'root@%', db: 'nb', global: 'SELECT,DROP,CREATE', database: null, roles: 0 }))).toBe('');
    expect(missingPrivileges(my, JSON.stringify({ user: 'app@%', db: 'nb', global: 'USAGE', database: 'SELECT,CREATE', roles: 0 }))).toBe(
      'DROP on database `nb` (user app@%)',
    );
    expect(missingPrivileges(my, JSON.stringify({ user: 'app@%', db: 'nb', global: 'USAGE', database: null, roles: 1 }))).toBeNull();
  });
});
