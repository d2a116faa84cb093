import type { DbConfig } from '../dumpers/types';
import { pgLiteral } from '../dumpers/pg-sql';
import { myHexString } from '../dumpers/mysql-sql';

// What a restore does to the database, and so the privileges it needs: PostgreSQL drops and recreates the schema
// (owner of the schema, CREATE on the database), or with a prefix drops the prefixed tables (their owner) and creates
// them again (CREATE on the schema); MySQL/MariaDB drops and recreates the database (DROP and CREATE on it).

/** One statement answering a JSON object of facts about the user's rights. */
export function privilegesSql(db: DbConfig): string | null {
  if (db.dialect === 'postgres' || db.dialect === 'kingbase') {
    const schema = pgLiteral(db.schema || 'public');
    const prefix = db.tablePrefix ? pgLiteral(db.tablePrefix) : null;
    const ownsPrefixed = prefix
      ? `(SELECT coalesce(bool_and(pg_has_role(current_user, c.relowner, 'USAGE')), true) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = ${schema} AND left(c.relname, char_length(${prefix})) = ${prefix} AND c.relkind IN ('r', 'v', 'm', 'S', 'p'))`
      : 'true';
    return (
      `SELECT json_build_object('user', current_user, 'super', (SELECT rolsuper FROM pg_roles WHERE rolname = current_user), ` +
      `'createDb', has_database_privilege(current_database(), 'CREATE'), 'db', current_database(), ` +
      `'ownsSchema', coalesce((SELECT pg_has_role(current_user, nspowner, 'USAGE') FROM pg_namespace WHERE nspname = ${schema}), true), ` +
      `'createInSchema', coalesce((SELECT has_schema_privilege(oid, 'CREATE') FROM pg_namespace WHERE nspname = ${schema}), false), ` +
      `'ownsPrefixed', ${ownsPrefixed})::text`
    );
  }
  if (db.dialect === 'mysql' || db.dialect === 'mariadb') {
    // information_schema shows every account's rows to an administrator: keep the current account's only.
    const grantee = `CONCAT('''', SUBSTRING_INDEX(CURRENT_USER(), '@', 1), '''@''', SUBSTRING_INDEX(CURRENT_USER(), '@', -1), '''')`;
    return (
      `SELECT JSON_OBJECT('user', CURRENT_USER(), 'db', DATABASE(), 'global', (SELECT GROUP_CONCAT(PRIVILEGE_TYPE) FROM information_schema.USER_PRIVILEGES WHERE GRANTEE = ${grantee}), ` +
      `'database', (SELECT GROUP_CONCAT(PRIVILEGE_TYPE) FROM information_schema.SCHEMA_PRIVILEGES WHERE GRANTEE = ${grantee} AND ${myHexString(db.database || '')} LIKE TABLE_SCHEMA), ` +
      `'roles', (SELECT COUNT(*) FROM information_schema.APPLICABLE_ROLES))`
    );
  }
  return null;
}

/**
 * Pure: what is missing, in words, from the JSON privilegesSql answered; '' when nothing is; null when it cannot be
 * told (a MySQL/MariaDB account with roles: what they grant is not followed, and a false refusal has no way round).
 */
export function missingPrivileges(db: DbConfig, json: string): string | null {
  const r = JSON.parse(json) as Record<string, unknown>;
  const missing: string[] = [];
  if (db.dialect === 'postgres' || db.dialect === 'kingbase') {
    if (r.super === true) return '';
    const schema = db.schema || 'public';
    if (db.tablePrefix) {
      if (r.createInSchema !== true) missing.push(`CREATE on schema "${schema}"`);
      if (r.ownsPrefixed !== true) missing.push(`ownership of the tables prefixed "${db.tablePrefix}" in "${schema}"`);
    } else {
      if (r.ownsSchema !== true) missing.push(`ownership of schema "${schema}"`);
      if (r.createDb !== true) missing.push(`CREATE on database "${r.db}"`);
    }
  } else {
    const have = new Set(`${r.global ?? ''},${r.database ?? ''}`.split(',').map((s) => s.trim().toUpperCase()));
    for (const p of ['DROP', 'CREATE']) if (!have.has(p)) missing.push(`${p} on database \`${r.db ?? db.database}\``);
    if (missing.length && Number(r.roles) > 0) return null;
  }
  return missing.length ? `${missing.join(', ')} (user ${r.user})` : '';
}
