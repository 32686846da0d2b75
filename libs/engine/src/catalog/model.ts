/** The compiled form of the catalogs: what the schema generator and the planner read. */
import type { HostFunction } from '../engine.types.js';

export type ScalarName =
  | 'String'
  | 'Int'
  | 'BigInt'
  | 'Float'
  | 'Boolean'
  | 'Date'
  | 'Time'
  | 'Timestamp'
  | 'DateTime'
  | 'Interval'
  | 'JSON';

export const SCALARS: ReadonlySet<string> = new Set<ScalarName>([
  'String',
  'Int',
  'BigInt',
  'Float',
  'Boolean',
  'Date',
  'Time',
  'Timestamp',
  'DateTime',
  'Interval',
  'JSON',
]);

export interface ScalarField {
  kind: 'scalar';
  name: string;
  scalar: ScalarName;
  list: boolean;
  nonNull: boolean;
  /** Column name, or undefined when the field is computed by `sql`. */
  column?: string;
  /** `@sql(exp)` with `[field]` references, resolved at plan time. */
  sql?: string;
  pk: boolean;
  /** `@default(value, sequence, insert_exp, update_exp)`. */
  default?: { value?: unknown; sequence?: string; insertExp?: string; updateExp?: string };
  description?: string;
}

/** A non-table object type stored as JSON in one column. */
export interface StructField {
  kind: 'struct';
  name: string;
  typeName: string;
  list: boolean;
  nonNull: boolean;
  column: string;
  description?: string;
}

export interface RelationField {
  kind: 'relation';
  name: string;
  /** forward: many-to-one (object or null); back: one-to-many; m2m: through a junction table. */
  direction: 'forward' | 'back' | 'm2m';
  target: string;
  /** Pairs (this object's field, target's field) — for m2m: (this field, junction field). */
  on: Array<[string, string]>;
  /** m2m only: junction object, and pairs (junction field, target field). */
  junction?: string;
  junctionOn?: Array<[string, string]>;
  description?: string;
}

export type ObjectField = ScalarField | StructField | RelationField;

export interface ViewArg {
  name: string;
  /** GraphQL type text, e.g. `String!`. */
  type: string;
}

export interface DataObject {
  /** GraphQL type name (prefixed). */
  name: string;
  originalName: string;
  source: string;
  kind: 'table' | 'view';
  /** Table name (possibly schema-qualified) for tables and named views. */
  table?: string;
  /** View SQL with `[$arg]` placeholders and `[name]` identifiers. */
  sql?: string;
  isM2M: boolean;
  /** `@table(soft_delete: true, soft_delete_cond, soft_delete_set)`: delete marks rows instead. */
  softDelete?: { cond: string; set: string };
  /** Mutations are generated for tables of writable sources. */
  writable: boolean;
  /** Module path ('' = root). */
  module: string;
  /** Base name of the generated query fields (`orders`, `orders_by_pk`…). */
  queryName: string;
  args?: { typeName: string; required: boolean; fields: ViewArg[] };
  fields: Map<string, ObjectField>;
  pk: string[];
  uniques: Array<{ suffix: string; fields: string[] }>;
  description?: string;
  /** SDL `@cache(ttl, key, tags)`: its root fields are cached by default; `@no_cache`: never. */
  cache?: CacheSpec | 'never';
}

/** Caching of a root field: ttl in seconds (absent = the host's default), custom key, tags. */
export interface CacheSpec {
  ttl?: number;
  key?: string;
  tags: string[];
}

export interface StructType {
  name: string;
  fields: Map<string, { name: string; typeName: string; list: boolean; nonNull: boolean }>;
  description?: string;
}

/** `@function`: a SQL function (or SQL expression) under `function { … }` or `mutation { function { … } }`. */
export interface FunctionDef {
  /** GraphQL field name. */
  name: string;
  source: string;
  module: string;
  mutation: boolean;
  /** Database function name (possibly schema-qualified), called with the arguments in order. */
  sqlName?: string;
  /** Or a SQL expression/query with `[$arg]` placeholders. */
  sql?: string;
  args: Array<{ name: string; type: string }>;
  returns: {
    typeName: string;
    list: boolean;
    nonNull: boolean;
    kind: 'scalar' | 'object' | 'struct' | 'host';
  };
  description?: string;
  /** Set for functions the host implements in code. */
  host?: HostFunction;
}

export interface CompiledSource {
  name: string;
  type: string;
  readOnly: boolean;
  objects: DataObject[];
  structs: StructType[];
  /** Input types declared by the catalog (view args), printed as they are (prefixed). */
  inputs: Array<{ name: string; fields: ViewArg[] }>;
  functions: FunctionDef[];
}

export interface CompiledCatalog {
  sources: CompiledSource[];
  objects: Map<string, DataObject>;
  structs: Map<string, StructType>;
  functions: FunctionDef[];
}
