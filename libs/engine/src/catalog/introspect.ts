import { Kind, parse } from 'graphql';
import type { SourceDriver } from '../drivers/driver.js';
import { EngineError } from '../errors.js';
import type { CatalogDocument } from './load-catalog.js';
import type { ScalarName } from './model.js';

/**
 * Self-defined sources (Hugr's `self_defined: true`): the SDL of a database's own tables and
 * views, read from its catalog (PostgreSQL `pg_catalog`, DuckDB `duckdb_columns()` /
 * `duckdb_constraints()`). Deterministic: the same database gives the same text on every node.
 */

export interface IntrospectOptions {
  /**
   * `default` (the default): the `public` (PostgreSQL) / `main` (DuckDB) schema only, types named
   * after their tables. `all`: every non-system schema; objects outside the default schema become
   * `<schema>_<name>` types in `@module(name: "<schema>")`, as Hugr names them.
   */
  schemas?: 'default' | 'all';
  /** Type names a catalog of the source defines itself: left out of the generated SDL. */
  exclude?: ReadonlySet<string>;
}

interface DbColumn {
  schema: string;
  object: string;
  kind: 'table' | 'view';
  column: string;
  position: number;
  /** Normalised type name: PostgreSQL `typname` (of the element for arrays), DuckDB `data_type`. */
  type: string;
  array: boolean;
  nullable: boolean;
}

interface DbConstraint {
  schema: string;
  object: string;
  name: string;
  kind: 'p' | 'u' | 'f';
  columns: string[];
  refSchema?: string;
  refObject?: string;
  refColumns?: string[];
}

interface DbObject {
  schema: string;
  name: string;
  kind: 'table' | 'view';
  columns: DbColumn[];
  constraints: DbConstraint[];
}

const DEFAULT_SCHEMA: Record<string, string> = { postgres: 'public', duckdb: 'main' };

/** Object-level `@field_references`-style relation between two generated types. */
interface Relation {
  from: GenType;
  to: GenType;
  columns: string[];
  refColumns: string[];
  /** `query` (on `from`) and `references_query` (on `to`; for a junction: on the other end). */
  query: string;
  referencesQuery: string;
}

interface GenField {
  name: string;
  column: string;
  type: string;
  directives: string[];
}

interface GenType {
  name: string;
  object: DbObject;
  module?: string;
  fields: GenField[];
  /** Names taken on the type (fields and relation fields), for collision-free relation names. */
  taken: Set<string>;
  m2m: boolean;
  comments: string[];
  typeDirectives: string[];
}

/** Reads the catalog of the database behind `driver` and renders it as catalog SDL. */
export async function introspectSdl(
  driver: SourceDriver,
  type: string,
  options: IntrospectOptions = {},
): Promise<string> {
  const all = options.schemas === 'all';
  let objects: DbObject[];
  if (type === 'postgres') objects = await readPostgres(driver, all);
  else if (type === 'duckdb') objects = await readDuckDb(driver, all);
  else
    throw new EngineError(
      'BAD_USER_INPUT',
      `self-defined schemas are generated for postgres and duckdb sources, not ${type}`,
    );
  return renderSdl(objects, DEFAULT_SCHEMA[type], options.exclude ?? new Set());
}

async function readJson<T>(driver: SourceDriver, sql: string, params: unknown[]): Promise<T[]> {
  const text = await driver.queryText(sql, params);
  return text ? (JSON.parse(text) as T[]) : [];
}

const PG_SCHEMAS = `n.nspname NOT IN ('pg_catalog', 'information_schema', 'pg_toast')
  AND n.nspname NOT LIKE 'pg\\_%' AND n.nspname NOT LIKE '\\_timescaledb%'
  AND n.nspname NOT IN ('timescaledb_information', 'timescaledb_experimental')
  AND ($1::boolean OR n.nspname = 'public')`;

async function readPostgres(driver: SourceDriver, all: boolean): Promise<DbObject[]> {
  // Domains read as their base type, arrays as their element type (flagged), enums as text.
  const columns = await readJson<DbColumn>(
    driver,
    `SELECT coalesce(json_agg(json_build_object(
        'schema', n.nspname, 'object', c.relname,
        'kind', CASE WHEN c.relkind IN ('v', 'm') THEN 'view' ELSE 'table' END,
        'column', a.attname, 'position', a.attnum,
        'type', CASE WHEN e.typtype = 'e' THEN 'text' WHEN e.typtype = 'd' THEN b.typname ELSE e.typname END,
        'array', t.typcategory = 'A', 'nullable', NOT a.attnotnull)), '[]')::text
      FROM pg_class c
      JOIN pg_namespace n ON n.oid = c.relnamespace
      JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
      JOIN pg_type t ON t.oid = a.atttypid
      JOIN pg_type e ON e.oid = CASE WHEN t.typcategory = 'A' THEN t.typelem ELSE t.oid END
      LEFT JOIN pg_type b ON b.oid = e.typbasetype
      WHERE c.relkind IN ('r', 'p', 'v', 'm', 'f') AND NOT c.relispartition AND ${PG_SCHEMAS}`,
    [all],
  );
  const constraints = await readJson<DbConstraint>(
    driver,
    `SELECT coalesce(json_agg(json_build_object(
        'schema', n.nspname, 'object', c.relname, 'name', k.conname, 'kind', k.contype,
        'columns', (SELECT json_agg(a.attname ORDER BY u.ord) FROM unnest(k.conkey) WITH ORDINALITY u(num, ord)
                    JOIN pg_attribute a ON a.attrelid = k.conrelid AND a.attnum = u.num),
        'refSchema', rn.nspname, 'refObject', rc.relname,
        'refColumns', (SELECT json_agg(a.attname ORDER BY u.ord) FROM unnest(k.confkey) WITH ORDINALITY u(num, ord)
                       JOIN pg_attribute a ON a.attrelid = k.confrelid AND a.attnum = u.num))), '[]')::text
      FROM pg_constraint k
      JOIN pg_class c ON c.oid = k.conrelid
      JOIN pg_namespace n ON n.oid = c.relnamespace
      LEFT JOIN pg_class rc ON rc.oid = k.confrelid
      LEFT JOIN pg_namespace rn ON rn.oid = rc.relnamespace
      WHERE k.contype IN ('p', 'u', 'f') AND ${PG_SCHEMAS}`,
    [all],
  );
  return group(columns, constraints);
}

async function readDuckDb(driver: SourceDriver, all: boolean): Promise<DbObject[]> {
  // The attached database file is the connection's current database (USE); in-memory: `memory`.
  const where = (t: string) => `${t}database_name = current_database() AND ($1 OR ${t}schema_name = 'main')`;
  const columns = await readJson<DbColumn>(
    driver,
    `SELECT CAST(to_json(coalesce(list({
        'schema': c.schema_name, 'object': c.table_name,
        'kind': CASE WHEN v.view_name IS NULL THEN 'table' ELSE 'view' END,
        'column': c.column_name, 'position': c.column_index,
        'type': regexp_replace(c.data_type, '(\\[\\d*\\])+$', ''),
        'array': regexp_matches(c.data_type, '\\[\\d*\\]$'), 'nullable': c.is_nullable}), [])) AS VARCHAR)
      FROM duckdb_columns() c
      LEFT JOIN duckdb_views() v
        ON v.database_name = c.database_name AND v.schema_name = c.schema_name AND v.view_name = c.table_name
      WHERE NOT c.internal AND ${where('c.')}`,
    [all],
  );
  const constraints = await readJson<DbConstraint>(
    driver,
    `SELECT CAST(to_json(coalesce(list({
        'schema': schema_name, 'object': table_name, 'name': constraint_name,
        'kind': CASE constraint_type WHEN 'PRIMARY KEY' THEN 'p' WHEN 'UNIQUE' THEN 'u' ELSE 'f' END,
        'columns': constraint_column_names,
        'refSchema': CASE WHEN referenced_table IS NOT NULL THEN schema_name END,
        'refObject': referenced_table, 'refColumns': referenced_column_names}), [])) AS VARCHAR)
      FROM duckdb_constraints()
      WHERE constraint_type IN ('PRIMARY KEY', 'UNIQUE', 'FOREIGN KEY') AND ${where('')}`,
    [all],
  );
  // DuckDB lists a foreign key on the referencing table only; drop any echo on the other side.
  return group(
    columns,
    constraints.filter((k) => k.kind !== 'f' || (k.refObject && k.refColumns?.length)),
  );
}

function group(columns: DbColumn[], constraints: DbConstraint[]): DbObject[] {
  const objects = new Map<string, DbObject>();
  const key = (schema: string, name: string) => `${schema}\u0000${name}`;
  for (const c of columns) {
    const k = key(c.schema, c.object);
    let o = objects.get(k);
    if (!o)
      objects.set(k, (o = { schema: c.schema, name: c.object, kind: c.kind, columns: [], constraints: [] }));
    o.columns.push(c);
  }
  for (const k of constraints) objects.get(key(k.schema, k.object))?.constraints.push(k);
  for (const o of objects.values()) {
    o.columns.sort((a, b) => a.position - b.position);
    o.constraints.sort(
      (a, b) => cmp(a.kind, b.kind) || cmp(a.columns.join(','), b.columns.join(',')) || cmp(a.name, b.name),
    );
  }
  return [...objects.values()].sort((a, b) => cmp(a.schema, b.schema) || cmp(a.name, b.name));
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** The catalog scalar of a database type (lower-cased), or undefined when not served. */
export function scalarOf(dbType: string): ScalarName | undefined {
  const t = dbType.trim().toLowerCase();
  if (/^(numeric|decimal)\b/.test(t)) return 'Float';
  switch (t) {
    case 'int2':
    case 'int4':
    case 'smallint':
    case 'integer':
    case 'int':
    case 'tinyint':
    case 'utinyint':
    case 'usmallint':
      return 'Int';
    case 'int8':
    case 'bigint':
    case 'uinteger':
    case 'ubigint':
    case 'hugeint':
    case 'oid':
      return 'BigInt';
    case 'float4':
    case 'float8':
    case 'real':
    case 'float':
    case 'double':
    case 'money':
      return 'Float';
    case 'bool':
    case 'boolean':
      return 'Boolean';
    case 'text':
    case 'varchar':
    case 'bpchar':
    case 'char':
    case 'name':
    case 'citext':
    case 'uuid':
    case 'inet':
    case 'cidr':
    case 'macaddr':
    case 'xml':
      return 'String';
    case 'date':
      return 'Date';
    case 'time':
    case 'timetz':
    case 'time with time zone':
      return 'Time';
    case 'timestamptz':
    case 'timestamp with time zone':
      return 'Timestamp';
    case 'timestamp':
    case 'timestamp_s':
    case 'timestamp_ms':
    case 'timestamp_ns':
      return 'DateTime';
    case 'interval':
      return 'Interval';
    case 'json':
    case 'jsonb':
      return 'JSON';
    default:
      return undefined;
  }
}

const GRAPHQL_NAME = /^[_A-Za-z][_0-9A-Za-z]*$/;

/** A valid GraphQL name for a database name (Hugr's rule: other characters → `_`, leading `_` → `db_`). */
export function graphqlName(name: string): string {
  let out = name.replace(/[^_0-9A-Za-z]/g, '_');
  if (out.startsWith('_')) out = `db_${out.slice(1)}`;
  if (/^[0-9]/.test(out)) out = `db_${out}`;
  return out;
}

function quote(s: string): string {
  return JSON.stringify(s);
}

function renderSdl(objects: DbObject[], defaultSchema: string, exclude: ReadonlySet<string>): string {
  const types: GenType[] = [];
  const byKey = new Map<string, GenType>();
  const skipped: string[] = [];
  const usedTypes = new Set<string>();
  for (const o of objects) {
    const isDefault = o.schema === defaultSchema;
    const sqlName = isDefault ? o.name : `${o.schema}.${o.name}`;
    const where = `${o.kind} ${sqlName}`;
    // Muninn quotes `@table(name:)` per dot-separated part: a dot or quote inside a name cannot be named.
    if (/[."]/.test(o.name) || /[."]/.test(o.schema)) {
      skipped.push(`# skipped ${where}: its name holds a dot or a double quote`);
      continue;
    }
    const name = graphqlName(isDefault ? o.name : `${o.schema}_${o.name}`);
    if (usedTypes.has(name)) {
      skipped.push(`# skipped ${where}: its GraphQL name ${name} is taken by another object`);
      continue;
    }
    const t: GenType = {
      name,
      object: o,
      module: isDefault ? undefined : graphqlName(o.schema),
      fields: [],
      taken: new Set(),
      m2m: false,
      comments: [],
      typeDirectives: [],
    };
    for (const c of o.columns) {
      const scalar = scalarOf(c.type);
      const fieldName = graphqlName(c.column);
      if (!scalar) {
        t.comments.push(`# skipped column ${c.column}: type ${c.type}${c.array ? '[]' : ''} is not served`);
        continue;
      }
      if (t.taken.has(fieldName) || fieldName.startsWith('__')) {
        t.comments.push(`# skipped column ${c.column}: its GraphQL name ${fieldName} is taken`);
        continue;
      }
      t.taken.add(fieldName);
      const type = `${c.array ? `[${scalar}]` : scalar}${c.nullable ? '' : '!'}`;
      const directives = fieldName === c.column ? [] : [`@field_source(field: ${quote(c.column)})`];
      t.fields.push({ name: fieldName, column: c.column, type, directives });
    }
    if (!t.fields.length) {
      skipped.push(`# skipped ${where}: none of its columns has a served type`);
      continue;
    }
    usedTypes.add(name);
    types.push(t);
    byKey.set(`${o.schema}\u0000${o.name}`, t);
  }

  const fieldOf = (t: GenType, column: string) => t.fields.find((f) => f.column === column);
  const relations: Relation[] = [];
  for (const t of types) {
    const pk = t.object.constraints.find((k) => k.kind === 'p');
    const pkFields = pk?.columns.map((c) => fieldOf(t, c));
    if (pkFields?.every((f) => f)) for (const f of pkFields) f!.directives.unshift('@pk');
    for (const k of t.object.constraints.filter((c) => c.kind === 'u')) {
      const fields = k.columns.map((c) => fieldOf(t, c));
      if (!fields.every((f) => f)) continue;
      if (fields.length === 1) fields[0]!.directives.push('@unique');
      else t.typeDirectives.push(`@unique(fields: [${fields.map((f) => quote(f!.name)).join(', ')}])`);
    }
    for (const k of t.object.constraints.filter((c) => c.kind === 'f')) {
      const to = byKey.get(`${k.refSchema}\u0000${k.refObject}`);
      const from = k.columns.map((c) => fieldOf(t, c));
      const target = k.refColumns?.map((c) => (to ? fieldOf(to, c) : undefined)) ?? [];
      if (!to || !from.every((f) => f) || target.length !== from.length || !target.every((f) => f)) {
        t.comments.push(`# skipped foreign key ${k.name}: its columns or referenced table are not served`);
        continue;
      }
      relations.push({
        from: t,
        to,
        columns: from.map((f) => f!.name),
        refColumns: target.map((f) => f!.name),
        query: '',
        referencesQuery: '',
      });
    }
  }
  nameRelations(types, relations);

  const out: string[] = [];
  for (const t of types.sort((a, b) => cmp(a.name, b.name))) {
    if (exclude.has(t.name)) continue;
    const o = t.object;
    const sqlName = o.schema === defaultSchema ? o.name : `${o.schema}.${o.name}`;
    const head = [
      o.kind === 'view'
        ? `@view(name: ${quote(sqlName)})`
        : `@table(name: ${quote(sqlName)}${t.m2m ? ', is_m2m: true' : ''})`,
      ...(t.module ? [`@module(name: ${quote(t.module)})`] : []),
      ...t.typeDirectives,
    ];
    const own = relations.filter((r) => r.from === t);
    for (const r of own.filter((r) => r.columns.length > 1))
      head.push(
        `@references(references_name: ${quote(r.to.name)}, source_fields: [${r.columns.map(quote).join(', ')}], ` +
          `references_fields: [${r.refColumns.map(quote).join(', ')}], query: ${quote(r.query)}, ` +
          `references_query: ${quote(r.referencesQuery)})`,
      );
    out.push(...t.comments);
    out.push(`type ${t.name} ${head.join(' ')} {`);
    for (const f of t.fields) {
      const refs = own
        .filter((r) => r.columns.length === 1 && r.columns[0] === f.name)
        .map(
          (r) =>
            `@field_references(references_name: ${quote(r.to.name)}, field: ${quote(r.refColumns[0])}, ` +
            `query: ${quote(r.query)}, references_query: ${quote(r.referencesQuery)})`,
        );
      out.push(`  ${[`${f.name}: ${f.type}`, ...f.directives, ...refs].join(' ')}`);
    }
    out.push('}', '');
  }
  return [...skipped.sort(), ...(skipped.length ? [''] : []), ...out].join('\n');
}

/**
 * Relation names, collision-free and independent of declaration order:
 * - forward (on the referencing type): the column without `_id` for a one-column key
 *   (`customer_id` → `customer`), else the referenced type's name;
 * - back (on the referenced type): the referencing type's name;
 * - a junction table (exactly two foreign keys covering its whole primary key and every column)
 *   becomes `is_m2m`: each end gets a list of the other end named after the other type;
 * when a name is taken (a column, another relation), `_by_<columns>` is appended.
 */
function nameRelations(types: GenType[], relations: Relation[]): void {
  for (const t of types) {
    const own = relations.filter((r) => r.from === t);
    const pk = t.object.constraints.find((k) => k.kind === 'p');
    const keyCols = new Set(own.flatMap((r) => r.columns));
    t.m2m =
      t.object.kind === 'table' &&
      own.length === 2 &&
      own[0].to !== own[1].to &&
      own[0].to !== t &&
      own[1].to !== t &&
      !!pk &&
      pk.columns.length === keyCols.size &&
      pk.columns.every((c) => keyCols.has(t.fields.find((f) => f.column === c)?.name ?? '')) &&
      t.fields.every((f) => keyCols.has(f.name));
  }
  const claim = (t: GenType, base: string, columns: string[]): string => {
    let name = base;
    if (t.taken.has(name)) name = `${base}_by_${columns.join('_')}`;
    for (let i = 2; t.taken.has(name); i++) name = `${base}_by_${columns.join('_')}_${i}`;
    t.taken.add(name);
    return name;
  };
  // Plain relations first, sorted, so every name depends only on the database's definitions.
  const sorted = [...relations].sort(
    (a, b) =>
      Number(a.from.m2m) - Number(b.from.m2m) ||
      cmp(a.from.name, b.from.name) ||
      cmp(a.columns.join(','), b.columns.join(',')),
  );
  const count = (pred: (r: Relation) => boolean) => relations.filter(pred).length;
  for (const r of sorted) {
    if (r.from.m2m) {
      const other = relations.find((x) => x.from === r.from && x !== r)!;
      r.query = claim(r.from, stem(r.columns) ?? r.to.name, r.columns);
      r.referencesQuery = claim(r.to, other.to.name, other.columns);
      continue;
    }
    const several = count((x) => x.from === r.from && x.to === r.to && !x.from.m2m) > 1;
    const forward = stem(r.columns) ?? r.to.name;
    r.query = claim(
      r.from,
      several && !stem(r.columns) ? `${forward}_by_${r.columns.join('_')}` : forward,
      r.columns,
    );
    r.referencesQuery = claim(
      r.to,
      several ? `${r.from.name}_by_${r.columns.join('_')}` : r.from.name,
      r.columns,
    );
  }
}

/** `customer_id` → `customer`; other names (or several columns) → undefined. */
function stem(columns: string[]): string | undefined {
  if (columns.length !== 1) return undefined;
  const m = /^(.+)_id$/i.exec(columns[0]);
  return m && GRAPHQL_NAME.test(m[1]) && !m[1].endsWith('_') ? m[1] : undefined;
}

/** Object type names the documents define (a document that does not parse is reported by the compiler). */
export function definedTypeNames(documents: CatalogDocument[]): Set<string> {
  const names = new Set<string>();
  for (const d of documents) {
    let doc;
    try {
      doc = parse(d.sdl);
    } catch {
      continue; // compileCatalogs reports the syntax error with its catalog and line
    }
    for (const def of doc.definitions)
      if (def.kind === Kind.OBJECT_TYPE_DEFINITION) names.add(def.name.value);
  }
  return names;
}
