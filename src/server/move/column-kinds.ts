// Pure: what a target column is, for the conversion of the values a move copies into it. The target's own column
// types decide (NocoBase created them for the same collections and fields), not the source's declared types:
// SQLite keeps whatever it was given.

export type ColumnKind =
  | 'boolean'
  | 'integer'
  | 'decimal'
  | 'float'
  | 'json'
  /** A point in time (PostgreSQL timestamptz; MySQL DATETIME/TIMESTAMP, which NocoBase writes in DB_TIMEZONE). */
  | 'timestamptz'
  /** A wall-clock date and time without a zone (NocoBase's datetimeNoTz on PostgreSQL). */
  | 'timestamp'
  | 'date'
  | 'time'
  | 'binary'
  /** A PostgreSQL array column (written as an array literal from the JSON array SQLite keeps). */
  | 'array'
  | 'text';

/** A PostgreSQL/KingbaseES column, from information_schema.columns.data_type. */
export function kindOfPg(dataType: string): ColumnKind {
  const t = dataType.toLowerCase();
  if (t === 'boolean') return 'boolean';
  if (t === 'smallint' || t === 'integer' || t === 'bigint') return 'integer';
  if (t === 'numeric' || t === 'decimal') return 'decimal';
  if (t === 'real' || t === 'double precision') return 'float';
  if (t === 'json' || t === 'jsonb') return 'json';
  if (t === 'timestamp with time zone') return 'timestamptz';
  if (t === 'timestamp without time zone') return 'timestamp';
  if (t === 'date') return 'date';
  if (t.startsWith('time')) return 'time';
  if (t === 'bytea') return 'binary';
  if (t === 'array') return 'array';
  return 'text';
}

/**
 * A MySQL/MariaDB column, from information_schema.COLUMNS DATA_TYPE and COLUMN_TYPE. TINYINT(1) is Sequelize's
 * BOOLEAN; MariaDB's JSON is LONGTEXT with a check, which takes the text as it is.
 */
export function kindOfMysql(dataType: string, columnType: string): ColumnKind {
  const t = dataType.toLowerCase();
  if (t === 'tinyint' && /^tinyint\(1\)/i.test(columnType)) return 'boolean';
  if (/^(tinyint|smallint|mediumint|int|integer|bigint)$/.test(t)) return 'integer';
  if (t === 'decimal' || t === 'numeric') return 'decimal';
  if (t === 'float' || t === 'double' || t === 'real') return 'float';
  if (t === 'json') return 'json';
  if (t === 'datetime' || t === 'timestamp') return 'timestamptz';
  if (t === 'date') return 'date';
  if (t === 'time') return 'time';
  if (/(blob|binary)$/.test(t)) return 'binary';
  return 'text';
}

/**
 * A SQLite column, from its declared type as Sequelize writes it for NocoBase's fields (TINYINT(1) for BOOLEAN,
 * DATETIME for DATE, DATE for DATEONLY, JSON...). SQLite itself keeps any value in any column: the declared type is
 * the only record of what NocoBase meant.
 */
export function kindOfSqlite(declared: string): ColumnKind {
  const t = declared.trim().toUpperCase();
  if (/^(TINYINT\(1\)|BOOLEAN)$/.test(t)) return 'boolean';
  if (/INT/.test(t)) return 'integer';
  if (/^(DECIMAL|NUMERIC)/.test(t)) return 'decimal';
  if (/^(FLOAT|DOUBLE|REAL)/.test(t)) return 'float';
  if (/^JSONB?$/.test(t)) return 'json';
  if (/^(DATETIME|TIMESTAMP WITH TIME ZONE)/.test(t)) return 'timestamptz';
  if (/^TIMESTAMP/.test(t)) return 'timestamp';
  if (t === 'DATE' || t === 'DATEONLY') return 'date';
  if (/^TIME/.test(t)) return 'time';
  if (/BLOB/.test(t)) return 'binary';
  return 'text';
}
