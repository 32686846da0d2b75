import { EngineError } from '../errors.js';
import { buildObject, catalogLiteral } from './sql.js';

/** Adds a bind parameter and returns its placeholder. */
export type AddParam = (value: unknown) => string;

/** A read feature of the query language that a dialect may not serve (named in the refusal). */
export type DialectFeature = 'mutations';

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
  /** `bucket_interval:` truncation (`p` is an interval text parameter). */
  dateBin(p: string, expr: string): string;
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
  listOp(expr: string, op: 'eq' | 'contains' | 'intersects', value: unknown, add: AddParam): string;
  /** A structured field's stored value as JSON, and the type tests of such values. */
  jsonValue(expr: string): string;
  isObject(json: string): string;
  /** JSON array of `object` built per element `_e.v` of the JSON array `base` (null if not an array). */
  eachElement(base: string, object: string): string;
  /** Aggregation `list`: the values as a JSON array, `filter` is ` FILTER (WHERE …)` or ''. */
  listAgg(distinct: string, value: string, filter: string): string;
}

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
  dateBin: (p, expr) => `date_bin(${p}::interval, (${expr})::timestamp, timestamp '2000-01-03')`,
  inList: (expr, values, add) => `${expr} = ANY(${add(values)})`,
  like: (expr, p, ci) => `${expr} ${ci ? 'ILIKE' : 'LIKE'} ${p}`,
  regex: (expr, p) => `${expr} ~ ${p}`,
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
  listAgg: (distinct, value, filter) => `coalesce(json_agg(${distinct}${value})${filter}, '[]'::json)`,
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
  dateBin: (p, expr) => `time_bucket(${p}::interval, (${expr})::timestamp, timestamp '2000-01-03')`,
  inList: (expr, values, add) =>
    values.length ? `${expr} IN (${values.map((v) => add(v)).join(', ')})` : 'false',
  // PostgreSQL's LIKE escapes with a backslash by default; DuckDB's only when told.
  like: (expr, p, ci) => `${expr} ${ci ? 'ILIKE' : 'LIKE'} ${p} ESCAPE '\\'`,
  regex: (expr, p) => `regexp_matches(${expr}, ${p})`,
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
  listAgg: (distinct, value, filter) => `coalesce(to_json(list(${distinct}${value})${filter}), '[]'::json)`,
};
