import { EngineError } from '../errors.js';
import { buildObject, catalogLiteral, quoteIdent, quoteTable } from './sql.js';

/** Adds a bind parameter and returns its placeholder. */
export type AddParam = (value: unknown) => string;

/** A read feature of the query language that a dialect may not serve (named in the refusal). */
export type DialectFeature = string;

/**
 * The SQL pieces that differ between database engines. The planner writes everything else once
 * (SELECT/WHERE/ORDER BY/LIMIT, EXISTS, DISTINCT ON, FILTER (WHERE), LATERAL, CTEs), so a dialect
 * holds exactly the JSON building, the wire formats, the time functions and the operators.
 * PostgreSQL is the reference: `PostgresDialect` reproduces the planner's original SQL.
 */
export interface Dialect {
  /** The data source type (`postgres`, `duckdb`). */
  readonly type: string;
  /** Features refused at plan time, with a message naming the feature and the source. */
  readonly unsupported: ReadonlySet<DialectFeature>;
  /**
   * Derived tables (`FROM (SELECT …)`) may refer to the enclosing row (PostgreSQL, DuckDB). MariaDB
   * refuses outer references there, so the planner writes correlated lists and aggregations as one
   * level (`SELECT JSON_ARRAYAGG(… ORDER BY … LIMIT …) FROM … WHERE …`) instead.
   */
  readonly correlatedDerived: boolean;
  /** The statement's one value as text. */
  text(expr: string): string;
  /** `_field_part(extract:)` as a bigint; `unit` is a TimeExtract value. */
  extract(unit: string, expr: string, add: AddParam): string;
  /** `field(bucket:)`; `unit` is a TimeBucket value. */
  truncate(unit: string, expr: string, add: AddParam): string;
  toDate(expr: string): string;
  /** A Boolean value as JSON true/false. */
  boolean(expr: string): string;
  /** A Timestamp filter value as the database compares it. */
  timeValue(value: unknown): unknown;
  /** One ORDER BY term (NULLs last for ASC, first for DESC, as PostgreSQL orders them). */
  orderTerm(expr: string, desc: boolean): string;
  /** ` LIMIT … OFFSET …` (either may be absent). */
  tail(limit: string | undefined, offset: string | undefined): string;
  /** `count`/`sum`/`avg`/`min`/`max`/`bool_and`/`bool_or` of `expr` (`*` for rows), over rows where `cond`. */
  agg(fn: string, expr: string, cond?: string): string;
  /** The first / last non-null value (`cond` holds the NOT NULL test), `count` counts the values. */
  anyAgg(value: string, cond: string): string;
  lastAgg(value: string, cond: string, count: string): string;
  stringAgg(distinct: string, expr: string, sep: string, cond: string | undefined, add: AddParam): string;
  /** What makes an aggregate without groups return one row (` GROUP BY ()`). */
  readonly groupAll: string;
  /** The JSON value under `key` of a JSON value. */
  jsonGet(json: string, key: string): string;
  /** A forward relation's row joined to aggregated rows (at most one per row). */
  forwardJoin(from: string, where: string, alias: string, inner: boolean): string;
  /** A JSON object from (key, SQL value) pairs, keys in order. */
  object(pairs: Array<[string, string]>): string;
  /**
   * The rows of `rows` under `alias`, in the order `rows` returns them; `arrayAgg(alias, col)`
   * aggregates them into a JSON array in that order ('[]' for none).
   */
  orderedRows(rows: string, alias: string): string;
  arrayAgg(alias: string, col: string): string;
  /** JSON array of a set-returning call's values `alias(col)` (no order to keep). */
  valuesAgg(alias: string, col: string): string;
  /** Rows of a record-returning call as a JSON array / one JSON object (keyed by column). */
  recordsJson(from: string, alias: string, list: boolean): string;
  /** Wire format of Timestamp (UTC, `Z`, fraction only when non-zero) and DateTime. */
  timestamp(expr: string): string;
  dateTime(expr: string): string;
  /** A JSON column as a JSON value (not a string). */
  json(expr: string): string;
  /** `bucket_interval:` truncation (`value` is the interval text). */
  dateBin(value: unknown, expr: string, add: AddParam): string;
  /** Integer division (truncating, as PostgreSQL divides bigints). */
  intDiv(a: string, p: string): string;
  /** A validated non-negative integer of `limit`/`offset`. */
  paging(value: number, add: AddParam): string;
  /** `in` filter. */
  inList(expr: string, values: unknown[], add: AddParam): string;
  like(expr: string, p: string, caseInsensitive: boolean): string;
  /** Regular-expression match anywhere in the value. */
  regex(expr: string, p: string): string;
  jsonOp(expr: string, op: 'eq' | 'contains' | 'has' | 'has_all', value: unknown, add: AddParam): string;
  /**
   * The value at `keys` (a path of object keys, bound as parameters) of a JSON value: as JSON, as
   * text, as a number (NULL unless a JSON number) or as a boolean (NULL unless a JSON boolean).
   */
  jsonPath(json: string, keys: readonly string[], as: JsonPathResult, add: AddParam): string;
  listOp(expr: string, op: 'eq' | 'contains' | 'intersects', value: unknown, add: AddParam): string;
  /** A structured field's stored value as JSON, and the type tests of such values. */
  jsonValue(expr: string): string;
  isObject(json: string): string;
  /** JSON array of `object` built per element `_e.v` of the JSON array `base` (null if not an array). */
  eachElement(base: string, object: string): string;
  /** Aggregation `list`: the values as a JSON array of the rows where `cond`. */
  listAgg(distinct: string, value: string, cond: string | undefined): string;
  /** The statements of mutations (exec/mutation-runner.ts). */
  readonly mutation: MutationSql;
}

/** What differs between databases in the statements of mutations. */
export interface MutationSql {
  /** An input value of a scalar field as the column takes it. */
  writeValue(scalar: string, value: unknown): unknown;
  /** `@default(sequence:)` (the name comes from the catalog). */
  nextval(sequence: string, add: AddParam): string;
  /**
   * INSERT of `cols` = `exprs` into `table` (quoted), answering one row whose column `row` holds
   * the stored row as JSON keyed by column (`columns`: the table's columns known to the catalog).
   */
  insert(table: string, cols: string[], exprs: string[], columns: string[]): string;
  /** `DELETE … FROM` the table (quoted) under `alias`. */
  deleteFrom(table: string, alias: string): string;
  /** An UPDATE/DELETE as a statement whose result `affected()` reads the affected row count of. */
  counted(sql: string): string;
  affected(rows: Record<string, unknown>[]): number;
}

export type JsonPathResult = 'json' | 'text' | 'number' | 'boolean';

/** A JSON path as DuckDB and MariaDB read it, `$."key"."key"` (bound; keys hold no `"` or `\\`). */
const quotedJsonPath = (keys: readonly string[]) => `$${keys.map((k) => `."${k}"`).join('')}`;

/** PostgreSQL (and DuckDB, whose mutations are refused): RETURNING through a CTE. */
const postgresMutation: MutationSql = {
  writeValue: (_scalar, value) => value,
  nextval: (sequence, add) => `nextval(${add(sequence)}::regclass)`,
  insert: (table, cols, exprs) =>
    `INSERT INTO ${table} AS _ins ${cols.length ? `(${cols.join(', ')}) VALUES (${exprs.join(', ')})` : 'DEFAULT VALUES'} RETURNING row_to_json(_ins.*)::text AS row`,
  deleteFrom: (table, alias) => `DELETE FROM ${table} AS ${alias}`,
  counted: (sql) => `WITH _m AS (${sql} RETURNING 1) SELECT count(*)::int AS n FROM _m`,
  affected: (rows) => rows[0].n as number,
};

const filterOf = (cond: string | undefined) => (cond ? ` FILTER (WHERE ${cond})` : '');

/** TimeExtract values whose PostgreSQL `date_part` unit is spelled differently. */
const EXTRACT_UNITS: Record<string, string> = { iso_dow: 'isodow', iso_year: 'isoyear' };

/** The pieces PostgreSQL and DuckDB write alike. */
const common = {
  correlatedDerived: true,
  text: (expr: string) => `${expr}::text`,
  extract: (unit: string, expr: string, add: AddParam) =>
    `date_part(${add(EXTRACT_UNITS[unit] ?? unit)}, ${expr})::bigint`,
  truncate: (unit: string, expr: string, add: AddParam) => `date_trunc(${add(unit)}, ${expr})`,
  toDate: (expr: string) => `(${expr})::date`,
  boolean: (expr: string) => expr,
  timeValue: (value: unknown) => value,
  orderTerm: (expr: string, desc: boolean) => (desc ? `${expr} DESC` : expr),
  tail: (limit: string | undefined, offset: string | undefined) =>
    `${limit !== undefined ? ` LIMIT ${limit}` : ''}${offset ? ` OFFSET ${offset}` : ''}`,
  agg: (fn: string, expr: string, cond?: string) => `${fn}(${expr})${filterOf(cond)}`,
  anyAgg: (value: string, cond: string) => `(array_agg(${value})${filterOf(cond)})[1]`,
  lastAgg: (value: string, cond: string, count: string) => `(array_agg(${value})${filterOf(cond)})[${count}]`,
  stringAgg: (distinct: string, expr: string, sep: string, cond: string | undefined, add: AddParam) =>
    `string_agg(${distinct}(${expr})::text, ${add(sep)})${filterOf(cond)}`,
  groupAll: ' GROUP BY ()',
  jsonGet: (json: string, key: string) => `${json} -> ${catalogLiteral(key)}`,
  forwardJoin: (from: string, where: string, alias: string, inner: boolean) =>
    ` ${inner ? '' : 'LEFT '}JOIN LATERAL (SELECT ${alias}.* FROM ${from} WHERE ${where} LIMIT 1) AS ${alias} ON true`,
};

/** The refusal of a feature a source's dialect does not serve (at plan time: nothing is sent). */
export function refusal(dialect: Dialect, feature: DialectFeature, source: string): EngineError {
  return new EngineError(
    'BAD_USER_INPUT',
    `${feature} is not supported on ${dialect.type} source "${source}"`,
  );
}

/** PostgreSQL: the reference dialect (json_build_object/json_agg, jsonb operators, `= ANY`). */
export const postgresDialect: Dialect = {
  type: 'postgres',
  unsupported: new Set(),
  ...common,
  object: buildObject,
  orderedRows: (rows, alias) => `(${rows}) AS ${alias}`,
  arrayAgg: (alias, col) => `coalesce(json_agg(${alias}.${col}), '[]'::json)`,
  valuesAgg: (alias, col) => `coalesce(json_agg(${alias}.${col}), '[]'::json)`,
  recordsJson: (from, alias, list) =>
    list
      ? `(SELECT jsonb_agg(to_jsonb(${alias})) FROM ${from} AS ${alias})`
      : `(SELECT to_jsonb(${alias}) FROM ${from} AS ${alias} LIMIT 1)`,
  timestamp: (expr) => `((to_json((${expr})::timestamptz AT TIME ZONE 'UTC') #>> '{}') || 'Z')`,
  dateTime: (expr) => `(${expr})::timestamp`,
  json: (expr) => expr,
  intDiv: (a, p) => `(${a} / ${p})`,
  paging: (value, add) => add(value),
  dateBin: (value, expr, add) =>
    `date_bin(${add(value)}::interval, (${expr})::timestamp, timestamp '2000-01-03')`,
  inList: (expr, values, add) => `${expr} = ANY(${add(values)})`,
  like: (expr, p, ci) => `${expr} ${ci ? 'ILIKE' : 'LIKE'} ${p}`,
  regex: (expr, p) => `${expr} ~ ${p}`,
  jsonPath(json, keys, as, add) {
    const value = `jsonb_extract_path((${json})::jsonb, ${keys.map((k) => `${add(k)}::text`).join(', ')})`;
    if (as === 'json') return value;
    if (as === 'text') return `(${value} #>> '{}')`;
    const type = as === 'number' ? 'number' : 'boolean';
    const cast = as === 'number' ? 'float8' : 'boolean';
    return `CASE WHEN jsonb_typeof(${value}) = '${type}' THEN (${value} #>> '{}')::${cast} END`;
  },
  jsonOp(expr, op, value, add) {
    const j = `(${expr})::jsonb`;
    switch (op) {
      case 'eq':
        return `${j} = ${add(JSON.stringify(value))}::jsonb`;
      case 'contains':
        return `${j} @> ${add(JSON.stringify(value))}::jsonb`;
      case 'has':
        return `jsonb_exists(${j}, ${add(String(value))})`;
      case 'has_all':
        return `jsonb_exists_all(${j}, ${add((value as unknown[]).map(String))}::text[])`;
    }
  },
  listOp(expr, op, value, add) {
    const sqlOp = op === 'eq' ? '=' : op === 'contains' ? '@>' : '&&';
    return `${expr} ${sqlOp} ${add(value)}`;
  },
  jsonValue: (expr) => `(${expr})::jsonb`,
  isObject: (json) => `jsonb_typeof(${json}) = 'object'`,
  eachElement: (base, object) =>
    `(SELECT json_agg(${object}) FROM jsonb_array_elements(CASE WHEN jsonb_typeof((${base})::jsonb) = 'array' THEN (${base})::jsonb END) AS _e(v))`,
  listAgg: (distinct, value, cond) => `coalesce(json_agg(${distinct}${value})${filterOf(cond)}, '[]'::json)`,
  mutation: postgresMutation,
};

/** strftime pattern of the wire formats; the fraction is trimmed of zeros (as PostgreSQL prints it). */
const ISO = `'%Y-%m-%dT%H:%M:%S.%f'`;
const trimFraction = (text: string) => `rtrim(rtrim(${text}, '0'), '.')`;

/**
 * DuckDB: json_object / list(… ORDER BY) / to_json, time_bucket, regexp_matches, json_contains.
 * DuckDB aggregates in parallel and keeps no input order unless told, so ordered lists number
 * their rows (`row_number() OVER ()` keeps the insertion order of an ordered subquery) and
 * aggregate by that number.
 */
export const duckdbDialect: Dialect = {
  type: 'duckdb',
  unsupported: new Set<DialectFeature>(['mutations']),
  ...common,
  object: (pairs) => `json_object(${pairs.map(([k, v]) => `${catalogLiteral(k)}, ${v}`).join(', ')})`,
  orderedRows: (rows, alias) => `(SELECT _r.*, row_number() OVER () AS _o FROM (${rows}) AS _r) AS ${alias}`,
  arrayAgg: (alias, col) => `coalesce(to_json(list(${alias}.${col} ORDER BY ${alias}._o)), '[]'::json)`,
  valuesAgg: (alias, col) => `coalesce(to_json(list(${alias}.${col})), '[]'::json)`,
  recordsJson: (from, alias, list) =>
    list
      ? `(SELECT to_json(list(${alias})) FROM ${from} AS ${alias})`
      : `(SELECT to_json(${alias}) FROM ${from} AS ${alias} LIMIT 1)`,
  timestamp: (expr) =>
    `(${trimFraction(`strftime((${expr})::timestamptz AT TIME ZONE 'UTC', ${ISO})`)} || 'Z')`,
  dateTime: (expr) => trimFraction(`strftime((${expr})::timestamp, ${ISO})`),
  json: (expr) => `(${expr})::json`,
  // DuckDB refuses parameters as LIMIT/OFFSET of correlated subqueries (relation lists); the value
  // is a checked integer, so it is written as a number literal.
  paging: (value) => String(value),
  intDiv: (a, p) => `(${a} // CAST(${p} AS BIGINT))`,
  dateBin: (value, expr, add) =>
    `time_bucket(${add(value)}::interval, (${expr})::timestamp, timestamp '2000-01-03')`,
  inList: (expr, values, add) =>
    values.length ? `${expr} IN (${values.map((v) => add(v)).join(', ')})` : 'false',
  // PostgreSQL's LIKE escapes with a backslash by default; DuckDB's only when told.
  like: (expr, p, ci) => `${expr} ${ci ? 'ILIKE' : 'LIKE'} ${p} ESCAPE '\\'`,
  regex: (expr, p) => `regexp_matches(${expr}, ${p})`,
  jsonPath(json, keys, as, add) {
    const path = add(quotedJsonPath(keys));
    if (as === 'json') return `json_extract(${json}, ${path})`;
    if (as === 'text') return `json_extract_string(${json}, ${path})`;
    const types = as === 'number' ? `'BIGINT', 'UBIGINT', 'DOUBLE'` : `'BOOLEAN'`;
    const cast = as === 'number' ? 'DOUBLE' : 'BOOLEAN';
    return `CASE WHEN json_type(${json}, ${path}) IN (${types}) THEN CAST(json_extract_string(${json}, ${path}) AS ${cast}) END`;
  },
  jsonOp(expr, op, value, add) {
    const j = `(${expr})::json`;
    // A key test as jsonb_exists does it: a key of an object, or a string element of an array.
    const has = (key: string) => {
      const p = add(key);
      return `coalesce(CASE json_type(${j}) WHEN 'OBJECT' THEN list_contains(json_keys(${j}), ${p}) WHEN 'ARRAY' THEN json_contains(${j}, to_json(${p}::varchar)) ELSE false END, false)`;
    };
    switch (op) {
      case 'eq':
        // Both sides are parsed and printed again, so spacing and number spelling do not matter.
        return `json(${j}) = json(${add(JSON.stringify(value))})`;
      case 'contains':
        return `json_contains(${j}, ${add(JSON.stringify(value))}::json)`;
      case 'has':
        return has(String(value));
      case 'has_all': {
        const keys = (value as unknown[]).map(String);
        return keys.length ? `(${keys.map(has).join(' AND ')})` : 'true';
      }
    }
  },
  listOp(expr, op, value, add) {
    const list = `[${(value as unknown[]).map((v) => add(v)).join(', ')}]`;
    if (op === 'eq') return `${expr} = ${list}`;
    return `${op === 'contains' ? 'list_has_all' : 'list_has_any'}(${expr}, ${list})`;
  },
  jsonValue: (expr) => `(${expr})::json`,
  isObject: (json) => `json_type(${json}) = 'OBJECT'`,
  eachElement: (base, object) =>
    `(SELECT to_json(list(${object})) FROM unnest(CASE WHEN json_type((${base})::json) = 'ARRAY' THEN ((${base})::json)::json[] END) AS _e(v))`,
  listAgg: (distinct, value, cond) =>
    `coalesce(to_json(list(${distinct}${value})${filterOf(cond)}), '[]'::json)`,
  mutation: postgresMutation,
};

/** JSON text as a JSON value (MariaDB keeps JSON-ness only through JSON functions). */
const asJson = (expr: string) => `JSON_EXTRACT(${expr}, '$')`;
const when = (value: string, cond: string | undefined) =>
  cond ? `CASE WHEN ${cond} THEN ${value} END` : value;
/** MariaDB's `%f` always has six digits: trailing zeros and a bare dot are trimmed (as PostgreSQL prints). */
const mysqlIso = (expr: string) =>
  `TRIM(TRAILING '.' FROM TRIM(TRAILING '0' FROM DATE_FORMAT(${expr}, '%Y-%m-%dT%H:%i:%s.%f')))`;

const MYSQL_EXTRACT: Record<string, (e: string) => string> = {
  epoch: (e) => `TIMESTAMPDIFF(SECOND, TIMESTAMP'1970-01-01 00:00:00', ${e})`,
  minute: (e) => `MINUTE(${e})`,
  hour: (e) => `HOUR(${e})`,
  day: (e) => `DAYOFMONTH(${e})`,
  doy: (e) => `DAYOFYEAR(${e})`,
  dow: (e) => `(DAYOFWEEK(${e}) - 1)`,
  iso_dow: (e) => `(WEEKDAY(${e}) + 1)`,
  week: (e) => `WEEK(${e}, 3)`,
  month: (e) => `MONTH(${e})`,
  year: (e) => `YEAR(${e})`,
  iso_year: (e) => `(YEARWEEK(${e}, 3) DIV 100)`,
  quarter: (e) => `QUARTER(${e})`,
};

const MYSQL_TRUNC: Record<string, (e: string) => string> = {
  minute: (e) => `DATE_FORMAT(${e}, '%Y-%m-%d %H:%i:00')`,
  hour: (e) => `DATE_FORMAT(${e}, '%Y-%m-%d %H:00:00')`,
  day: (e) => `DATE(${e})`,
  week: (e) => `(DATE(${e}) - INTERVAL WEEKDAY(${e}) DAY)`,
  month: (e) => `DATE_FORMAT(${e}, '%Y-%m-01')`,
  quarter: (e) => `(MAKEDATE(YEAR(${e}), 1) + INTERVAL (QUARTER(${e}) - 1) QUARTER)`,
  year: (e) => `DATE_FORMAT(${e}, '%Y-01-01')`,
};

const INTERVAL_UNITS: Record<string, number> = {
  microsecond: 1e-6,
  millisecond: 1e-3,
  second: 1,
  minute: 60,
  hour: 3600,
  day: 86400,
  week: 604800,
};

/** An interval text (`15 minutes`, `1 hour 30 minutes`, `2 days`) in microseconds; months have no fixed length. */
export function intervalMicros(text: string): number {
  const parts = [
    ...String(text)
      .toLowerCase()
      .matchAll(/(\d+(?:\.\d+)?)\s*([a-z]+?)s?(?=\s|$)/g),
  ];
  const rest = String(text)
    .toLowerCase()
    .replace(/(\d+(?:\.\d+)?)\s*([a-z]+?)s?(?=\s|$)/g, '')
    .trim();
  let total = 0;
  for (const [, n, unit] of parts) {
    const seconds = INTERVAL_UNITS[unit];
    if (seconds === undefined) return NaN;
    total += Number(n) * seconds * 1e6;
  }
  return parts.length && !rest ? Math.round(total) : NaN;
}

/** `2024-03-01T10:00:00+02:00` → `2024-03-01 08:00:00.000000` (MariaDB DATETIME in UTC); other values unchanged. */
function utcDateTime(value: unknown): unknown {
  if (typeof value !== 'string' || !/^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}/.test(value)) return value;
  const zoned = /(Z|[+-]\d{2}(:?\d{2})?)$/i.test(value);
  const ms = Date.parse(zoned ? value : `${value.replace(' ', 'T')}Z`);
  if (Number.isNaN(ms)) return value;
  const micro = /\.(\d{1,6})/.exec(value)?.[1]?.padEnd(6, '0') ?? '000000';
  return `${new Date(ms).toISOString().slice(0, 19).replace('T', ' ')}.${micro}`;
}

/**
 * MariaDB (10.5+): INSERT … RETURNING builds the row with JSON_OBJECT (no alias on INSERT, no
 * RETURNING on UPDATE); UPDATE/DELETE counts are the driver's affected rows (matched rows: the
 * connection sets CLIENT_FOUND_ROWS); sequences are `CREATE SEQUENCE` objects; timestamps are
 * stored as UTC DATETIME.
 */
const mysqlMutation: MutationSql = {
  writeValue: (scalar, value) =>
    scalar === 'Timestamp' || scalar === 'DateTime' ? utcDateTime(value) : value,
  nextval: (sequence) => `NEXTVAL(${quoteTable(sequence)})`,
  insert: (table, cols, exprs, columns) =>
    `INSERT INTO ${table} (${cols.join(', ')}) VALUES (${exprs.join(', ')}) RETURNING JSON_OBJECT(${columns
      .map((c) => `${catalogLiteral(c)}, ${quoteIdent(c)}`)
      .join(', ')}) AS "row"`,
  deleteFrom: (table, alias) => `DELETE ${alias} FROM ${table} AS ${alias}`,
  counted: (sql) => sql,
  affected: (rows) => Number(rows[0]?.affected ?? 0),
};

/**
 * MariaDB / MySQL (the session runs with ANSI_QUOTES, PIPES_AS_CONCAT, NO_BACKSLASH_ESCAPES and
 * time zone UTC, so identifiers keep PostgreSQL's double quotes): JSON_OBJECT / JSON_ARRAYAGG
 * (ORDER BY … LIMIT inside the aggregate), `CASE WHEN` instead of FILTER, plain LEFT JOIN instead
 * of LATERAL, TINYINT booleans printed as JSON true/false, DATE_FORMAT time functions, REGEXP,
 * JSON_TABLE for structured lists. Bind parameters stay `$n`; the driver turns them into `?`.
 */
export const mysqlDialect: Dialect = {
  type: 'mysql',
  unsupported: new Set<DialectFeature>(['functions']),
  correlatedDerived: false,
  text: (expr) => expr,
  object: (pairs) => `JSON_OBJECT(${pairs.map(([k, v]) => `${catalogLiteral(k)}, ${v}`).join(', ')})`,
  // Ordered rows carry their number `_o` (the planner adds it: MariaDB may drop a derived table's ORDER BY).
  orderedRows: (rows, alias) => `(${rows}) AS ${alias}`,
  arrayAgg: (alias, col) => asJson(`coalesce(JSON_ARRAYAGG(${alias}.${col} ORDER BY ${alias}._o), '[]')`),
  valuesAgg: (alias, col) => asJson(`coalesce(JSON_ARRAYAGG(${alias}.${col}), '[]')`),
  recordsJson: () => {
    throw new EngineError('BAD_USER_INPUT', 'functions returning records are not supported on mysql sources');
  },
  timestamp: (expr) => `CONCAT(${mysqlIso(expr)}, 'Z')`,
  dateTime: (expr) => mysqlIso(expr),
  json: (expr) => asJson(expr),
  paging: (value) => String(value),
  intDiv: (a, p) => `(${a} DIV ${p})`,
  extract(unit, expr) {
    const fn = MYSQL_EXTRACT[unit];
    if (!fn) throw new EngineError('BAD_USER_INPUT', `extract: unknown part "${unit}"`);
    return fn(expr);
  },
  truncate(unit, expr) {
    const fn = MYSQL_TRUNC[unit];
    if (!fn) throw new EngineError('BAD_USER_INPUT', `bucket: unknown unit "${unit}"`);
    return `CAST(${fn(expr)} AS DATETIME(6))`;
  },
  toDate: (expr) => `DATE(${expr})`,
  dateBin(value, expr, add) {
    const micros = intervalMicros(String(value));
    if (!(micros > 0))
      throw new EngineError(
        'BAD_USER_INPUT',
        `bucket_interval "${String(value)}" is not supported on mysql sources (seconds to weeks only)`,
      );
    const origin = `TIMESTAMP'2000-01-03 00:00:00'`;
    const n = add(micros);
    return `TIMESTAMPADD(MICROSECOND, FLOOR(TIMESTAMPDIFF(MICROSECOND, ${origin}, ${expr}) / ${n}) * ${n}, ${origin})`;
  },
  boolean: (expr) => `JSON_EXTRACT(CASE WHEN ${expr} THEN 'true' WHEN NOT ${expr} THEN 'false' END, '$')`,
  timeValue: utcDateTime,
  orderTerm: (expr, desc) => (desc ? `${expr} IS NOT NULL, ${expr} DESC` : `${expr} IS NULL, ${expr}`),
  // MySQL has no OFFSET without LIMIT.
  tail: (limit, offset) =>
    limit !== undefined || offset
      ? ` LIMIT ${limit ?? '18446744073709551615'}${offset ? ` OFFSET ${offset}` : ''}`
      : '',
  agg(fn, expr, cond) {
    const name = fn === 'bool_and' ? 'min' : fn === 'bool_or' ? 'max' : fn;
    return `${name}(${when(expr === '*' ? '1' : expr, cond)})`;
  },
  // The non-null values as JSON arrays `[v]` joined into one array: its first / last element.
  anyAgg: (value, cond) =>
    `JSON_EXTRACT(CONCAT('[', GROUP_CONCAT(${when(`JSON_ARRAY(${value})`, cond)}), ']'), '$[0][0]')`,
  lastAgg: (value, cond) =>
    `JSON_EXTRACT(CONCAT('[', GROUP_CONCAT(${when(`JSON_ARRAY(${value})`, cond)}), ']'), '$[last][0]')`,
  // GROUP_CONCAT's separator is a literal: quotes doubled (NO_BACKSLASH_ESCAPES is set per session).
  stringAgg: (distinct, expr, sep, cond) =>
    `GROUP_CONCAT(${distinct}${when(`CAST(${expr} AS CHAR)`, cond)} SEPARATOR ${catalogLiteral(sep)})`,
  // HAVING makes the select an aggregate: one row, even when it selects subqueries only.
  groupAll: ' HAVING count(*) >= 0',
  jsonGet: (json, key) => `JSON_EXTRACT(${json}, ${catalogLiteral(`$.${JSON.stringify(key)}`)})`,
  forwardJoin: (from, where, _alias, inner) => ` ${inner ? '' : 'LEFT '}JOIN ${from} ON ${where}`,
  inList: (expr, values, add) =>
    values.length ? `${expr} IN (${values.map((v) => add(v)).join(', ')})` : 'FALSE',
  like: (expr, p, ci) => (ci ? `LOWER(${expr}) LIKE LOWER(${p})` : `${expr} LIKE ${p}`),
  regex: (expr, p) => `${expr} REGEXP ${p}`,
  jsonPath(json, keys, as, add) {
    const value = `JSON_EXTRACT(${json}, ${add(quotedJsonPath(keys))})`;
    if (as === 'json') return value;
    if (as === 'text') return `JSON_UNQUOTE(${value})`;
    if (as === 'number')
      return `CASE WHEN JSON_TYPE(${value}) IN ('INTEGER', 'DOUBLE', 'DECIMAL') THEN CAST(JSON_UNQUOTE(${value}) AS DOUBLE) END`;
    return `CASE WHEN JSON_TYPE(${value}) = 'BOOLEAN' THEN JSON_UNQUOTE(${value}) = 'true' END`;
  },
  jsonOp(expr, op, value, add) {
    const has = (key: string) => {
      const p = add(key);
      return `coalesce(CASE JSON_TYPE(${expr}) WHEN 'OBJECT' THEN JSON_CONTAINS_PATH(${expr}, 'one', CONCAT('$.', JSON_QUOTE(${p}))) WHEN 'ARRAY' THEN JSON_CONTAINS(${expr}, JSON_QUOTE(${p})) ELSE FALSE END, FALSE)`;
    };
    switch (op) {
      case 'eq':
        // JSON_EQUALS ignores key order (as jsonb equality); it is not false for a NULL column.
        return `(${expr} IS NOT NULL AND JSON_EQUALS(${expr}, ${add(JSON.stringify(value))}))`;
      case 'contains':
        return `JSON_CONTAINS(${expr}, ${add(JSON.stringify(value))})`;
      case 'has':
        return has(String(value));
      case 'has_all': {
        const keys = (value as unknown[]).map(String);
        return keys.length ? `(${keys.map(has).join(' AND ')})` : 'TRUE';
      }
    }
  },
  listOp: () => {
    throw new EngineError('BAD_USER_INPUT', 'list fields are not supported on mysql sources');
  },
  jsonValue: (expr) => expr,
  isObject: (json) => `JSON_TYPE(${json}) = 'OBJECT'`,
  eachElement: (base, object) =>
    `(SELECT ${asJson(`JSON_ARRAYAGG(${object} ORDER BY _e.o)`)} FROM JSON_TABLE(CASE WHEN JSON_TYPE(${base}) = 'ARRAY' THEN ${base} END, '$[*]' COLUMNS (o FOR ORDINALITY, v JSON PATH '$')) AS _e)`,
  // JSON_ARRAYAGG keeps NULLs; GROUP_CONCAT of the values' JSON texts skips the filtered rows.
  listAgg: (distinct, value, cond) =>
    asJson(
      `CONCAT('[', coalesce(GROUP_CONCAT(${distinct}${when(`JSON_EXTRACT(JSON_ARRAY(${value}), '$[0]')`, cond)}), ''), ']')`,
    ),
  mutation: mysqlMutation,
};
