import { type GraphQLSchema, buildSchema } from 'graphql';
import type { HostFunction } from '../engine.types.js';
import type {
  CompiledCatalog,
  DataObject,
  FunctionDef,
  RelationField,
  ScalarName,
  StructType,
} from '../catalog/model.js';

/** What a field of a module type (Query or `_module_*_query`) serves. */
export type RootField =
  | { kind: 'module'; typeName: string }
  | { kind: 'select'; object: DataObject }
  | { kind: 'select_one'; object: DataObject; keys: string[] }
  | { kind: 'aggregate'; object: DataObject }
  | { kind: 'bucket'; object: DataObject }
  | { kind: 'mutation'; op: 'insert' | 'update' | 'delete'; object: DataObject }
  | { kind: 'function'; fn: FunctionDef };

export interface GeneratedSchema {
  schema: GraphQLSchema;
  sdl: string;
  /** Module type name (query and mutation roots) → field name → what it serves. */
  roots: Map<string, Map<string, RootField>>;
}

const SCALAR_DOCS: Record<string, string> = {
  BigInt: '64-bit integer, sent as a JSON number',
  Date: 'Calendar date, `"2025-03-15"`',
  Time: 'Time of day, `"09:00:00"`',
  Timestamp: 'Point in time in UTC, `"2025-03-15T09:00:00Z"`',
  DateTime: 'Date and time without a time zone, `"2025-03-15T09:00:00"`',
  Interval: 'Duration, e.g. `"1 day 02:00:00"`',
  JSON: 'Arbitrary JSON value. Filter operators: eq, has, has_all, contains, is_null',
};

const doc = (text: string, indent = '  ') => `${indent}"""\n${indent}${text}\n${indent}"""\n`;

const ORDERED_OPS = ['eq', 'gt', 'gte', 'lt', 'lte'];

/** Filter operators per scalar (names as Hugr generates them). */
export const SCALAR_FILTER_OPS: Record<ScalarName, string[]> = {
  String: ['eq', 'in', 'like', 'ilike', 'regex', 'is_null'],
  Int: [...ORDERED_OPS, 'in', 'is_null'],
  BigInt: [...ORDERED_OPS, 'in', 'is_null'],
  Float: ['eq', 'ne', 'gt', 'gte', 'lt', 'lte', 'in', 'is_null'],
  Boolean: ['eq', 'is_null'],
  Date: [...ORDERED_OPS, 'in', 'is_null'],
  Time: [...ORDERED_OPS, 'in', 'is_null'],
  Timestamp: [...ORDERED_OPS, 'is_null'],
  DateTime: [...ORDERED_OPS, 'is_null'],
  Interval: [...ORDERED_OPS, 'is_null'],
  JSON: ['eq', 'has', 'has_all', 'contains', 'is_null'],
};

export const LIST_FILTER_OPS = ['eq', 'contains', 'intersects', 'is_null'];

/** Aggregation functions per scalar (Hugr's `<Scalar>Aggregation` types). */
export function aggregationFunctions(scalar: ScalarName): Array<[string, string]> {
  const list: Array<[string, string]> = [
    ['list(distinct: Boolean = false)', `[${scalar}!]`],
    ['any', scalar],
    ['last', scalar],
  ];
  switch (scalar) {
    case 'Int':
    case 'BigInt':
    case 'Float':
      return [
        ['count', 'BigInt'],
        ['sum', scalar],
        ['avg', 'Float'],
        ['min', scalar],
        ['max', scalar],
        ...list,
      ];
    case 'String':
      return [
        ['count', 'BigInt'],
        ['string_agg(sep: String!, distinct: Boolean = false)', 'String'],
        ...list,
      ];
    case 'Boolean':
      return [['count', 'BigInt'], ['bool_and', 'Boolean'], ['bool_or', 'Boolean'], ...list];
    case 'JSON':
      // Hugr's JSONAggregation: every function takes the `path` of the value inside the JSON.
      return [
        ['count(path: String)', 'BigInt'],
        ['list(path: String, distinct: Boolean = false)', '[JSON!]'],
        ['any(path: String)', 'JSON'],
        ['last(path: String)', 'JSON'],
        ['sum(path: String!)', 'Float'],
        ['avg(path: String!)', 'Float'],
        ['min(path: String!)', 'Float'],
        ['max(path: String!)', 'Float'],
        ['string_agg(path: String!, sep: String!, distinct: Boolean = false)', 'String'],
        ['bool_and(path: String!)', 'Boolean'],
        ['bool_or(path: String!)', 'Boolean'],
      ];
    default:
      return [['count', 'BigInt'], ['min', scalar], ['max', scalar], ...list];
  }
}

/** Scalars whose fields take `bucket` and get a `_<field>_part(extract)` companion. */
export const TIME_SCALARS = new Set<ScalarName>(['Timestamp', 'DateTime', 'Date']);

export const TIME_BUCKETS = ['minute', 'hour', 'day', 'week', 'month', 'quarter', 'year'];
export const TIME_EXTRACTS = [
  'epoch',
  'minute',
  'hour',
  'day',
  'doy',
  'dow',
  'iso_dow',
  'week',
  'month',
  'year',
  'iso_year',
  'quarter',
];

const BUCKET_ARGS = `(\n${doc('Truncate to the specified part of the timestamp', '    ')}    bucket: TimeBucket\n${doc('Truncate to a multiple of this interval', '    ')}    bucket_interval: Interval\n  )`;
const PART_ARGS = `(\n${doc('Extracts the specified part of the timestamp', '    ')}    extract: TimeExtract!\n${doc('Divides the extracted value', '    ')}    extract_divide: Int\n  )`;

function opType(scalar: ScalarName, op: string): string {
  if (op === 'is_null') return 'Boolean';
  if (op === 'in') return `[${scalar}!]`;
  if (scalar === 'JSON' && op === 'has') return 'String';
  if (scalar === 'JSON' && op === 'has_all') return '[String!]';
  return scalar;
}

const LIST_ARGS = (filter: string, defaultLimit: number) =>
  [
    `${doc('Distinct on the given fields', '    ')}    distinct_on: [String]`,
    `${doc('Filter', '    ')}    filter: ${filter}`,
    `${doc('Limit the number of returned objects', '    ')}    limit: Int = ${defaultLimit}`,
    `${doc('Skip the first n objects', '    ')}    offset: Int = 0`,
    `${doc('Sort options for the result set', '    ')}    order_by: [OrderByField]`,
  ].join('\n');

const NESTED_ARGS = [
  `${doc('Apply inner join to the result set', '    ')}    inner: Boolean = false`,
  `${doc('Limit the number of returned nested objects', '    ')}    nested_limit: Int`,
  `${doc('Skip the first n nested objects', '    ')}    nested_offset: Int`,
  `${doc('Sort options for the nested result set', '    ')}    nested_order_by: [OrderByField]`,
].join('\n');

type RootTypeName = 'Query' | 'Mutation' | 'Function' | 'MutationFunction';
const MODULE_SUFFIX: Record<RootTypeName, string> = {
  Query: 'query',
  Mutation: 'mutation',
  Function: 'function',
  MutationFunction: 'mut_function',
};

export function moduleTypeName(path: string, root: RootTypeName = 'Query'): string {
  if (!path) return root;
  return `_module_${path.replace(/\./g, '_')}_${MODULE_SUFFIX[root]}`;
}

/** Insert returns the row when it can be read back by primary key; otherwise an OperationResult. */
export function insertReturnsRow(o: DataObject): boolean {
  return o.pk.length > 0 && !o.isM2M;
}

function gqlType(name: string, list: boolean, nonNull: boolean): string {
  const inner = list ? `[${name}]` : name;
  return nonNull ? `${inner}!` : inner;
}

/** Generates the GraphQL schema of a compiled catalog (printed SDL, built schema and root index). */
export interface HostExtensions {
  functions: HostFunction[];
  /** SDL of the object types host functions return. */
  types?: string;
}

/** Hugr's cache directives, usable at query time on root fields (SPEC §8). */
const CACHE_DIRECTIVES = [
  '"Cache the result of this field: ttl in seconds (default CACHE_TTL), a custom key, tags for invalidation."\n' +
    'directive @cache(ttl: Int, key: String, tags: [String!]) on FIELD | OBJECT | FIELD_DEFINITION\n',
  '"Never cache the result of this field (overrides @cache of its type)."\ndirective @no_cache on FIELD | OBJECT | FIELD_DEFINITION\n',
  '"Read this field from the database and replace its cached result."\ndirective @invalidate_cache on FIELD\n',
];

export function generateSchema(
  catalog: CompiledCatalog,
  defaultLimit = 2000,
  host: HostExtensions = { functions: [] },
): GeneratedSchema {
  const out: string[] = [];
  const listFilterTargets = new Set<string>();
  for (const o of catalog.objects.values())
    for (const f of o.fields.values())
      if (f.kind === 'relation' && f.direction !== 'forward') listFilterTargets.add(f.target);

  for (const [name, text] of Object.entries(SCALAR_DOCS)) out.push(`"""\n${text}\n"""\nscalar ${name}\n`);
  out.push(...CACHE_DIRECTIVES);
  out.push(
    'input OrderByField {\n  field: String!\n  direction: OrderDirection = ASC\n}\n',
    'enum OrderDirection {\n  ASC\n  DESC\n}\n',
  );
  for (const [scalar, ops] of Object.entries(SCALAR_FILTER_OPS) as Array<[ScalarName, string[]]>) {
    out.push(`input ${scalar}Filter {\n${ops.map((op) => `  ${op}: ${opType(scalar, op)}`).join('\n')}\n}\n`);
    if (scalar !== 'JSON' && scalar !== 'Boolean')
      out.push(
        `input ${scalar}ListFilter {\n${LIST_FILTER_OPS.map((op) => `  ${op}: ${op === 'is_null' ? 'Boolean' : `[${scalar}!]`}`).join('\n')}\n}\n`,
      );
  }

  out.push(
    `enum TimeBucket {\n${TIME_BUCKETS.map((b) => `  ${b}`).join('\n')}\n}\n`,
    `enum TimeExtract {\n${TIME_EXTRACTS.map((b) => `  ${b}`).join('\n')}\n}\n`,
  );
  for (const scalar of Object.keys(SCALAR_FILTER_OPS) as ScalarName[])
    out.push(
      `type ${scalar}Aggregation {\n${aggregationFunctions(scalar)
        .map(([f, t]) => `  ${f}: ${t}`)
        .join('\n')}\n}\n`,
    );
  for (const scalar of Object.keys(SCALAR_FILTER_OPS) as ScalarName[])
    out.push(
      `type ${scalar}SubAggregation {\n${subAggregationFunctions(scalar)
        .map(([f, t]) => `  ${f}: ${t}`)
        .join('\n')}\n}\n`,
    );
  for (const s of catalog.structs.values()) out.push(structType(s));
  for (const src of catalog.sources)
    for (const input of src.inputs)
      out.push(`input ${input.name} {\n${input.fields.map((f) => `  ${f.name}: ${f.type}`).join('\n')}\n}\n`);

  for (const o of catalog.objects.values()) {
    out.push(
      objectType(o, defaultLimit),
      filterType(o, catalog),
      aggregationType(o, defaultLimit),
      subAggregationType(o),
      bucketType(o),
    );
    if (listFilterTargets.has(o.name))
      out.push(
        `input ${o.name}_list_filter {\n  all_of: ${o.name}_filter\n  any_of: ${o.name}_filter\n  none_of: ${o.name}_filter\n}\n`,
      );
  }

  out.push(
    `${doc('The result of a mutation that returns no rows', '')}type OperationResult {\n  success: Boolean\n  affected_rows: BigInt\n  last_id: BigInt\n  message: String\n}\n`,
  );
  for (const o of catalog.objects.values()) if (o.writable) out.push(...mutationInputs(o, catalog));

  const roots = new Map([...moduleRoots(catalog), ...mutationRoots(catalog)]);
  if (host.types) out.push(host.types);
  const hostDefs: FunctionDef[] = host.functions.map((h) => ({
    name: h.name,
    source: '',
    module: h.module,
    mutation: h.mutation,
    args: h.args,
    returns: { typeName: h.returns, list: false, nonNull: false, kind: 'host' },
    description: h.description,
    host: h,
  }));
  for (const mutation of [false, true]) {
    const fns = [...catalog.functions, ...hostDefs].filter((f) => f.mutation === mutation);
    if (!fns.length) continue;
    const tree = moduleTree(mutation ? 'MutationFunction' : 'Function');
    for (const fn of fns) tree.ensure(fn.module).set(fn.name, { kind: 'function', fn });
    for (const [k, v] of tree.map) roots.set(k, v);
    const parent = mutation ? 'Mutation' : 'Query';
    if (!roots.has(parent)) roots.set(parent, new Map());
    roots
      .get(parent)!
      .set('function', { kind: 'module', typeName: mutation ? 'MutationFunction' : 'Function' });
  }
  for (const [typeName, fields] of roots) {
    const lines: string[] = [];
    for (const [fieldName, rf] of [...fields].sort(([a], [b]) => a.localeCompare(b))) {
      if (rf.kind === 'module') lines.push(`  ${fieldName}: ${rf.typeName}`);
      else if (rf.kind === 'select' || rf.kind === 'aggregate' || rf.kind === 'bucket') {
        const o = rf.object;
        const viewArgs = o.args ? `    args: ${o.args.typeName}${o.args.required ? '!' : ''}\n` : '';
        const type =
          rf.kind === 'select'
            ? `[${o.name}]`
            : rf.kind === 'aggregate'
              ? `_${o.name}_aggregation`
              : `[_${o.name}_aggregation_bucket]`;
        lines.push(
          `  ${fieldName}(\n${viewArgs}${LIST_ARGS(`${o.name}_filter`, defaultLimit)}\n  ): ${type}`,
        );
      } else if (rf.kind === 'function') {
        const fn = rf.fn;
        const args = fn.args.length ? `(${fn.args.map((a) => `${a.name}: ${a.type}`).join(', ')})` : '';
        const type = fn.returns.list ? `[${fn.returns.typeName}]` : fn.returns.typeName;
        lines.push(
          `${fn.description ? doc(fn.description) : ''}  ${fieldName}${args}: ${type}${fn.returns.nonNull ? '!' : ''}`,
        );
      } else if (rf.kind === 'mutation') {
        const o = rf.object;
        if (rf.op === 'insert')
          lines.push(
            `  ${fieldName}(data: ${o.name}_mut_input_data!): ${insertReturnsRow(o) ? o.name : 'OperationResult'}`,
          );
        else if (rf.op === 'update')
          lines.push(`  ${fieldName}(filter: ${o.name}_filter, data: ${o.name}_mut_data!): OperationResult`);
        else lines.push(`  ${fieldName}(filter: ${o.name}_filter): OperationResult`);
      } else {
        const o = rf.object;
        const keyArgs = rf.keys.map((k) => {
          const f = o.fields.get(k) as { scalar: string };
          return `${k}: ${f.scalar}!`;
        });
        if (o.args) keyArgs.unshift(`args: ${o.args.typeName}${o.args.required ? '!' : ''}`);
        lines.push(`  ${fieldName}(${keyArgs.join(', ')}): ${o.name}`);
      }
    }
    if (!lines.length) lines.push(`${doc('Always null: no data source is loaded yet')}  _empty: Boolean`);
    out.push(`type ${typeName} {\n${lines.join('\n')}\n}\n`);
  }

  const hasMutations = roots.has('Mutation');
  const sdl = out.join('\n') + (hasMutations ? '\nschema {\n  query: Query\n  mutation: Mutation\n}\n' : '');
  return { schema: buildSchema(sdl, { noLocation: true }), sdl, roots };
}

function mutationRoots(catalog: CompiledCatalog): Map<string, Map<string, RootField>> {
  const writable = [...catalog.objects.values()].filter((o) => o.writable);
  if (!writable.length) return new Map();
  const roots = moduleTree('Mutation');
  for (const o of writable) {
    const fields = roots.ensure(o.module);
    for (const op of ['insert', 'update', 'delete'] as const)
      fields.set(`${op}_${o.queryName}`, { kind: 'mutation', op, object: o });
  }
  return roots.map;
}

function moduleTree(root: RootTypeName) {
  const map = new Map<string, Map<string, RootField>>([[root, new Map()]]);
  const ensure = (path: string): Map<string, RootField> => {
    const typeName = moduleTypeName(path, root);
    let fields = map.get(typeName);
    if (!fields) {
      fields = new Map();
      map.set(typeName, fields);
      const dot = path.lastIndexOf('.');
      ensure(dot < 0 ? '' : path.slice(0, dot)).set(path.slice(dot + 1), { kind: 'module', typeName });
    }
    return fields;
  };
  return { map, ensure };
}

/** `<obj>_mut_input_data` (insert, with nested relations) and `<obj>_mut_data` (update). */
function mutationInputs(o: DataObject, catalog: CompiledCatalog): string[] {
  const insert: string[] = [];
  const update: string[] = [];
  for (const f of o.fields.values()) {
    if (f.kind === 'scalar' && !f.sql) {
      const t = f.list ? `[${f.scalar}]` : f.scalar;
      insert.push(`  ${f.name}: ${t}`);
      update.push(`  ${f.name}: ${t}`);
    } else if (f.kind === 'struct') {
      insert.push(`  ${f.name}: JSON`);
      update.push(`  ${f.name}: JSON`);
    } else if (f.kind === 'relation' && catalog.objects.get(f.target)?.writable) {
      insert.push(
        `  ${f.name}: ${f.direction === 'forward' ? `${f.target}_mut_input_data` : `[${f.target}_mut_input_data]`}`,
      );
    }
  }
  return [
    `input ${o.name}_mut_input_data {\n${insert.join('\n')}\n}\n`,
    `input ${o.name}_mut_data {\n${update.join('\n')}\n}\n`,
  ];
}

function moduleRoots(catalog: CompiledCatalog): Map<string, Map<string, RootField>> {
  const { map: roots, ensure } = moduleTree('Query');
  for (const o of catalog.objects.values()) {
    const fields = ensure(o.module);
    fields.set(o.queryName, { kind: 'select', object: o });
    fields.set(`${o.queryName}_aggregation`, { kind: 'aggregate', object: o });
    fields.set(`${o.queryName}_bucket_aggregation`, { kind: 'bucket', object: o });
    if (o.pk.length) fields.set(`${o.queryName}_by_pk`, { kind: 'select_one', object: o, keys: o.pk });
    for (const u of o.uniques)
      fields.set(`${o.queryName}_${u.suffix}`, { kind: 'select_one', object: o, keys: u.fields });
  }
  return roots;
}

function structType(s: StructType): string {
  const fields = [...s.fields.values()].map((f) => `  ${f.name}: ${gqlType(f.typeName, f.list, f.nonNull)}`);
  return `${s.description ? doc(s.description, '') : ''}type ${s.name} {\n${fields.join('\n')}\n}\n`;
}

function relationType(f: RelationField, defaultLimit: number): string {
  if (f.direction === 'forward')
    return `  ${f.name}(\n${doc('Apply inner join to reference record', '    ')}    inner: Boolean\n  ): ${f.target}`;
  return `  ${f.name}(\n${LIST_ARGS(`${f.target}_filter`, defaultLimit)}\n${NESTED_ARGS}\n  ): [${f.target}]`;
}

function objectType(o: DataObject, defaultLimit: number): string {
  const lines: string[] = [];
  for (const f of o.fields.values()) {
    const desc = f.description ? doc(f.description) : '';
    if (f.kind === 'scalar') {
      const time = TIME_SCALARS.has(f.scalar) && !f.list;
      lines.push(`${desc}  ${f.name}${time ? BUCKET_ARGS : ''}: ${gqlType(f.scalar, f.list, f.nonNull)}`);
      if (time) lines.push(`  _${f.name}_part${PART_ARGS}: BigInt`);
    } else if (f.kind === 'struct')
      lines.push(`${desc}  ${f.name}: ${gqlType(f.typeName, f.list, f.nonNull)}`);
    else {
      lines.push(desc + relationType(f, defaultLimit));
      if (f.direction !== 'forward') {
        const args = `(\n${LIST_ARGS(`${f.target}_filter`, defaultLimit)}\n${NESTED_ARGS}\n  )`;
        lines.push(`  ${f.name}_aggregation${args}: _${f.target}_aggregation`);
        lines.push(`  ${f.name}_bucket_aggregation${args}: [_${f.target}_aggregation_bucket]`);
      }
    }
  }
  return `${o.description ? doc(o.description, '') : ''}type ${o.name} {\n${lines.join('\n')}\n}\n`;
}

/** `_<obj>_aggregation`: `_rows_count`, functions per scalar field, relations aggregated over joined rows. */
function aggregationType(o: DataObject, defaultLimit: number): string {
  const lines = ['  _rows_count: BigInt'];
  for (const f of o.fields.values()) {
    if (f.kind === 'scalar' && !f.list) {
      const time = TIME_SCALARS.has(f.scalar);
      lines.push(`  ${f.name}${time ? BUCKET_ARGS : ''}: ${f.scalar}Aggregation`);
      if (time) lines.push(`  _${f.name}_part${PART_ARGS}: BigIntAggregation`);
    } else if (f.kind === 'relation') {
      const args =
        f.direction === 'forward'
          ? `(\n${doc('Apply inner join to reference record', '    ')}    inner: Boolean\n  )`
          : `(\n${LIST_ARGS(`${f.target}_filter`, defaultLimit)}\n${NESTED_ARGS}\n  )`;
      lines.push(`  ${f.name}${args}: _${f.target}_aggregation`);
      if (f.direction !== 'forward')
        lines.push(`  ${f.name}_aggregation${args}: _${f.target}_aggregation_sub_aggregation`);
    }
  }
  return `type _${o.name}_aggregation {\n${lines.join('\n')}\n}\n`;
}

/** Functions of `<Scalar>SubAggregation`: each aggregates the per-parent results of one function. */
export function subAggregationFunctions(scalar: ScalarName): Array<[string, string]> {
  const count: [string, string] = ['count', 'BigIntAggregation'];
  switch (scalar) {
    case 'Int':
    case 'BigInt':
    case 'Float':
      return [
        count,
        ['sum', `${scalar}Aggregation`],
        ['avg', 'FloatAggregation'],
        ['min', `${scalar}Aggregation`],
        ['max', `${scalar}Aggregation`],
      ];
    case 'Boolean':
      return [count, ['bool_and', 'BooleanAggregation'], ['bool_or', 'BooleanAggregation']];
    case 'String':
    case 'JSON':
      return [count];
    default:
      return [count, ['min', `${scalar}Aggregation`], ['max', `${scalar}Aggregation`]];
  }
}

/** `_<obj>_aggregation_sub_aggregation`: the aggregation of per-parent aggregations (level 2). */
function subAggregationType(o: DataObject): string {
  const lines = ['  _rows_count: BigIntAggregation'];
  for (const f of o.fields.values())
    if (f.kind === 'scalar' && !f.list) lines.push(`  ${f.name}: ${f.scalar}SubAggregation`);
  return `type _${o.name}_aggregation_sub_aggregation {\n${lines.join('\n')}\n}\n`;
}

function bucketType(o: DataObject): string {
  return `${doc(`Bucket aggregation for ${o.name}`, '')}type _${o.name}_aggregation_bucket {
${doc('The key of the bucket')}  key: ${o.name}
${doc('The aggregations of the bucket')}  aggregations(
    filter: ${o.name}_filter
    order_by: [OrderByField]
  ): _${o.name}_aggregation
}
`;
}

function filterType(o: DataObject, catalog: CompiledCatalog): string {
  const lines = [`  _and: [${o.name}_filter]`, `  _not: ${o.name}_filter`, `  _or: [${o.name}_filter]`];
  for (const f of o.fields.values()) {
    if (f.kind === 'scalar') {
      if (f.list && (f.scalar === 'JSON' || f.scalar === 'Boolean')) continue;
      lines.push(`  ${f.name}: ${f.scalar}${f.list ? 'List' : ''}Filter`);
    } else if (f.kind === 'relation') {
      const target = catalog.objects.get(f.target)!;
      lines.push(`  ${f.name}: ${target.name}_${f.direction === 'forward' ? 'filter' : 'list_filter'}`);
    }
  }
  return `"""\nFilter for ${o.name} objects\n"""\ninput ${o.name}_filter {\n${lines.join('\n')}\n}\n`;
}
