/**
 * CHEATSHEET (the exact query language and generated names): docs/query-language.md
 */
/** Public contract of the engine. Plain data in, plain data out: no framework types. */

export type CatalogKind = 'text' | 'localFS' | 'uri';

export interface CatalogInput {
  name: string;
  type: CatalogKind;
  /** SDL text for `text` catalogs; a file/directory path for `localFS`; a URL for `uri`. */
  path: string;
}

export interface SourceInput {
  name: string;
  /** Hugr's type string; this engine serves `postgres` and `duckdb` (docs/data-sources.md). */
  type: string;
  /** Prefix of generated type names; '' = none. */
  prefix: string;
  asModule: boolean;
  /**
   * `postgres`: a connection string; `duckdb`: a database file (attached read-only) or '' /
   * `:memory:`. `${ENV}` references are substituted from `EngineOptions.env`.
   */
  path: string;
  readOnly: boolean;
  catalogs: CatalogInput[];
  /**
   * Hugr's `self_defined`: at load the SDL of the database's own tables and views is generated
   * (`describeSource`) and compiled first, the catalogs after it (docs/data-sources.md).
   */
  selfDefined?: boolean;
}

/** How `describeSource` connects and what it describes. */
export interface DescribeOptions {
  /** `default`: the `public` / `main` schema only; `all`: every non-system schema (`@module` per schema). */
  schemas?: 'default' | 'all';
  env?: Record<string, string | undefined>;
  connectTimeoutMs?: number;
  statementTimeoutMs?: number;
  resolveObjects?: (url: string) => Promise<string[]>;
}

export interface SourceStatus {
  name: string;
  ok: boolean;
  error?: string;
}

export interface EngineLogger {
  debug(obj: Record<string, unknown>, msg: string): void;
  warn(obj: Record<string, unknown>, msg: string): void;
  error(obj: Record<string, unknown>, msg: string): void;
}

/**
 * A function implemented by the host (the work node), served like a catalog `@function`:
 * `function { <module> { name(args) } }` or, with `mutation: true`, `mutation { function { … } }`.
 */
export interface HostFunction {
  /** Dotted module path, e.g. `core` or `core.cluster`. */
  module: string;
  name: string;
  mutation: boolean;
  /** Arguments as GraphQL type text, e.g. `{ name: 'name', type: 'String!' }`. */
  args: Array<{ name: string; type: string }>;
  /** GraphQL return type: a scalar, `OperationResult`, or a type declared in `hostTypes`. */
  returns: string;
  description?: string;
  /** The result must be JSON-serialisable; it is projected onto the selection. */
  run(args: Record<string, unknown>, context: unknown): Promise<unknown>;
}

export interface EngineOptions {
  /**
   * Asked before any statement of a source runs (queries and mutations): a string refuses the
   * request for that source with this message (code FORBIDDEN).
   */
  authorize?: (source: string, context: unknown) => string | undefined;
  /** Functions implemented by the host (e.g. the `core` module's `info` and lifecycle calls). */
  hostFunctions?: HostFunction[];
  /** SDL of object types that host functions return. */
  hostTypes?: string;
  /**
   * Mutation requests whose only source is one of these are not run here but handed, whole, to
   * the handler (a work node forwards `core` writes to management).
   */
  remoteMutations?: Record<string, (request: QueryRequest, context: unknown) => Promise<QueryResponse>>;
  /** Maximum selection depth (SPEC §5); default 7. */
  maxDepth?: number;
  /** Most data fields (one statement each) a request may select at the root, modules included; 0 or unset = no limit. */
  maxRootFields?: number;
  /** Default `limit` of lists without one; default 2000 (Hugr's). */
  defaultLimit?: number;
  /** Per-statement timeout in ms; default 30 000. */
  statementTimeoutMs?: number;
  /** Maximum connections per source pool; default 10. */
  poolSize?: number;
  /** Timeout to connect a source at load, ms; default 5 000. */
  connectTimeoutMs?: number;
  /** Entries of the parsed-document and plan caches; default 1 000 each. */
  planCacheSize?: number;
  /** Environment used for `${ENV}` substitution in source paths; default `{}`. */
  env?: Record<string, string | undefined>;
  logger?: EngineLogger;
  /**
   * Called after a mutation request commits, with the objects (type names) it wrote; the answer
   * waits for it (cache invalidation must be done before the client sees the result).
   */
  onMutation?: (event: { source: string; objects: string[] }, context: unknown) => void | Promise<void>;
  /** Result caching of root fields with `@cache` (query time or on the catalog type). */
  cache?: EngineCacheOptions;
  /**
   * Local copies of an object-storage URL (`s3://bucket/key` or a glob): called at load for the
   * `s3://` paths of a duckdb source (its `path`, and quoted URLs in its catalogs' SQL), which are
   * replaced by the returned files. Without it such a source fails to load.
   */
  resolveObjects?: (url: string) => Promise<string[]>;
  /** Called for every SQL statement sent to a data source (tests count statements with it). */
  onStatement?: (event: { source: string; sql: string; params: readonly unknown[] }) => void;
}

/** A permission row as the engine applies it (SPEC §7). */
export interface AccessRule {
  disabled?: boolean;
  hidden?: boolean;
  /** A filter in the query language's filter syntax, ANDed into the SQL; may hold `[$auth.*]` placeholders. */
  filter?: unknown;
  /** Field values stamped over mutation input; may hold `[$auth.*]` placeholders. */
  data?: unknown;
}

/**
 * The permissions of one caller, asked by the planner. Rules are looked up by GraphQL type and
 * field name (`Query.orders`, `shop_orders.email`, `Mutation.insert_orders`) and, for rules that
 * follow a table on every path, by `data-object:query|insert|update|delete` and the object type.
 */
export interface AccessPolicy {
  /**
   * Identifies the rules and the `[$auth.*]` values they substitute (role, permission version,
   * user, claims): plans are cached per key.
   */
  readonly key: string;
  /** How errors name the caller, e.g. `role "editor"`. */
  readonly subject: string;
  /** The most specific matching rule, or undefined (allowed). */
  rule(typeName: string, fieldName: string): AccessRule | undefined;
  /** The value of an `[$auth.<name>]` placeholder (undefined → SQL NULL). */
  authValue(name: string): unknown;
}

/** The host's result cache (L1/L2); values are JSON texts. */
export interface ResultCache {
  /** Returns the cached value, or runs `load` once for concurrent callers and stores its value. */
  wrap(
    key: string,
    load: () => Promise<{ value: string; store: boolean }>,
    opts: { ttlMs: number; tags?: string[] },
  ): Promise<{ value: string; hit: 'l1' | 'l2' | false }>;
  set(key: string, value: string, opts: { ttlMs: number; tags?: string[] }): Promise<void>;
}

export interface EngineCacheOptions {
  store: ResultCache;
  /** TTL of `@cache` without `ttl`, ms. */
  defaultTtlMs: number;
  /** Generation of the definitions (e.g. the schema version): part of every key. */
  epoch: string;
  /** Who is asking (role and user), from the request context: part of every key. */
  scope(context: unknown): string;
}

export interface QueryRequest {
  query: string;
  variables?: Record<string, unknown> | null;
  operationName?: string | null;
}

/** A ready-to-send HTTP answer: `body` is the JSON text `{"data":…,"errors":[…]}`. */
export interface QueryResponse {
  status: number;
  body: string;
}
