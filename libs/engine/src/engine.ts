import type { GraphQLSchema } from 'graphql';
import { type SourceSpec, compileCatalogs } from './catalog/compile.js';
import { type CatalogDocument, loadCatalog } from './catalog/load-catalog.js';
import { definedTypeNames, introspectSdl } from './catalog/introspect.js';
import type { CompiledCatalog } from './catalog/model.js';
import type { SourceDriver } from './drivers/driver.js';
import { DuckDbSource, localizeObjectUrls } from './drivers/duckdb.js';
import { MySqlSource } from './drivers/mysql.js';
import { PostgresSource, substituteEnv } from './drivers/postgres.js';
import type {
  AccessPolicy,
  DescribeOptions,
  EngineOptions,
  QueryRequest,
  QueryResponse,
  SourceInput,
  SourceStatus,
} from './engine.types.js';
import { type CatalogProblem, CatalogError, EngineError } from './errors.js';
import { Executor } from './exec/executor.js';
import { installScalars } from './schema/scalars.js';
import { generateSchema } from './schema/build-schema.js';

const SUPPORTED_TYPES = new Set(['postgres', 'duckdb', 'mysql']);

interface LoadedSource {
  spec: SourceSpec;
  documents: CatalogDocument[];
  driver: SourceDriver;
}

/**
 * One compiled, executable schema over a set of data sources. Immutable: a new schema version
 * builds a new Engine, and the old one is closed after the swap.
 */
export class Engine {
  private constructor(
    readonly schema: GraphQLSchema,
    readonly sdl: string,
    readonly statuses: SourceStatus[],
    private readonly executor: Executor,
    private readonly drivers: SourceDriver[],
  ) {}

  /**
   * Loads, connects and compiles every source. A source that fails (catalog, connection, type)
   * is reported in `statuses` and left out; the others are served.
   */
  static async create(sources: SourceInput[], options: EngineOptions = {}): Promise<Engine> {
    const statuses = new Map<string, SourceStatus>();
    const loaded = (
      await Promise.all(
        sources.map(async (s): Promise<LoadedSource | undefined> => {
          try {
            return await loadSource(s, options);
          } catch (err) {
            statuses.set(s.name, { name: s.name, ok: false, error: (err as Error).message });
            return undefined;
          }
        }),
      )
    ).filter((s): s is LoadedSource => s !== undefined);

    // Add sources one by one so that one source's problem (e.g. a type-name clash) drops only it.
    const accepted: LoadedSource[] = [];
    let catalog: CompiledCatalog = compileCatalogs([]);
    for (const s of loaded) {
      try {
        catalog = compileCatalogs([...accepted, s]);
        accepted.push(s);
        statuses.set(s.spec.name, { name: s.spec.name, ok: true });
      } catch (err) {
        statuses.set(s.spec.name, { name: s.spec.name, ok: false, error: (err as Error).message });
        await s.driver.close();
      }
    }
    const generated = generateSchema(catalog, options.defaultLimit ?? 2000, {
      functions: options.hostFunctions ?? [],
      types: options.hostTypes,
    });
    installScalars(generated.schema);
    const drivers = new Map(accepted.map((s) => [s.spec.name, s.driver]));
    const executor = new Executor(generated, catalog, drivers, {
      maxDepth: options.maxDepth ?? 7,
      maxRootFields: options.maxRootFields ?? 0,
      cacheSize: options.planCacheSize ?? 1000,
      logger: options.logger,
      onMutation: options.onMutation,
      remoteMutations: options.remoteMutations,
      authorize: options.authorize,
      cache: options.cache,
    });
    return new Engine(
      generated.schema,
      generated.sdl,
      sources.map((s) => statuses.get(s.name) ?? { name: s.name, ok: false, error: 'not loaded' }),
      executor,
      [...drivers.values()],
    );
  }

  /**
   * `context` reaches host functions and remote-mutation handlers (e.g. who is asking); `policy`
   * holds the caller's permission rules (none = everything allowed, as for the secret-key admin).
   */
  execute(request: QueryRequest, context?: unknown, policy?: AccessPolicy): Promise<QueryResponse> {
    return this.executor.execute(request, context, policy);
  }

  /** Pool usage per source (for metrics and readiness details). */
  poolStats(): Record<string, { total: number; idle: number; waiting: number }> {
    return Object.fromEntries(this.drivers.map((d) => [d.name, d.stats]));
  }

  async close(): Promise<void> {
    await Promise.all(this.drivers.map((d) => d.close()));
  }
}

async function loadSource(s: SourceInput, options: EngineOptions): Promise<LoadedSource> {
  if (!SUPPORTED_TYPES.has(s.type))
    throw new EngineError(
      'DATA_SOURCE_UNAVAILABLE',
      `data source type "${s.type}" is not supported yet (postgres, duckdb and mysql are)`,
    );
  const spec = specOf(s);
  let documents = (await Promise.all(s.catalogs.map((c) => loadCatalog(c)))).flat();
  if (s.type === 'duckdb')
    documents = await Promise.all(
      documents.map(async (d) => ({ ...d, sdl: await localizeObjectUrls(d.sdl, options.resolveObjects) })),
    );
  // Compile alone first: catalog problems are reported before any connection is opened (a
  // self-defined source is compiled once its database described itself, below).
  if (!s.selfDefined) compileCatalogs([{ spec, documents }]);
  const driver = createDriver(s, options);
  try {
    await driver.check();
    if (s.selfDefined) {
      documents = [await selfDefinedDocument(driver, s, documents), ...documents];
      compileCatalogs([{ spec, documents }]);
    }
  } catch (err) {
    await driver.close();
    throw err;
  }
  return { spec, documents, driver };
}

/**
 * Hugr's `self_defined`: the SDL generated from the database's own catalog comes first, and the
 * source's catalogs are appended; a type a catalog defines replaces the generated one.
 */
async function selfDefinedDocument(
  driver: SourceDriver,
  s: SourceInput,
  documents: CatalogDocument[],
): Promise<CatalogDocument> {
  const sdl = await introspectSdl(driver, s.type, { exclude: definedTypeNames(documents) });
  return { name: `${s.name} (self-defined)`, sdl };
}

/**
 * The SDL of a source's database as `self_defined: true` generates it (docs/data-sources.md),
 * for a user to start a catalog from. Connects with the source's driver and closes it again.
 */
export async function describeSource(source: SourceInput, options: DescribeOptions = {}): Promise<string> {
  if (!SUPPORTED_TYPES.has(source.type))
    throw new EngineError('BAD_USER_INPUT', `data source type "${source.type}" is not supported`);
  const driver = createDriver(source, { ...options, poolSize: 1 });
  try {
    await driver.check();
    return await introspectSdl(driver, source.type, { schemas: options.schemas });
  } finally {
    await driver.close();
  }
}

function createDriver(s: SourceInput, options: EngineOptions): SourceDriver {
  const common = {
    name: s.name,
    poolSize: options.poolSize ?? 10,
    statementTimeoutMs: options.statementTimeoutMs ?? 30_000,
    onStatement: options.onStatement,
  };
  const path = substituteEnv(s.path, options.env ?? {});
  const network = { dsn: path, readOnly: s.readOnly, connectTimeoutMs: options.connectTimeoutMs ?? 5_000 };
  const driver: SourceDriver =
    s.type === 'duckdb'
      ? new DuckDbSource({ ...common, path, resolveObjects: options.resolveObjects })
      : s.type === 'mysql'
        ? new MySqlSource({ ...common, ...network })
        : new PostgresSource({ ...common, ...network });
  return driver;
}

export interface CatalogValidation {
  valid: boolean;
  problems: CatalogProblem[];
  /**
   * Sources not compiled here: catalogs that could not be read (a `localFS` path that exists only
   * on the nodes), and self-defined sources (their SDL comes from their database, at load).
   */
  skipped: string[];
  /** The generated GraphQL SDL when valid. */
  sdl?: string;
}

/**
 * Compiles the catalogs of the given sources together, without connecting anything (management
 * validates before it commits). Every problem carries its catalog name and line.
 */
export async function validateCatalogs(
  sources: ReadonlyArray<Omit<SourceInput, 'path'>>,
  options: { skipUnreadable?: boolean; defaultLimit?: number } = {},
): Promise<CatalogValidation> {
  const skipped: string[] = [];
  const problems: CatalogProblem[] = [];
  const inputs: Array<{ spec: SourceSpec; documents: CatalogDocument[] }> = [];
  for (const s of sources) {
    // Its types exist only once its database is described, on the node that connects to it.
    if (s.selfDefined) {
      skipped.push(s.name);
      continue;
    }
    try {
      const documents = (await Promise.all(s.catalogs.map((c) => loadCatalog(c)))).flat();
      inputs.push({ spec: specOf(s), documents });
    } catch (err) {
      const readable = s.catalogs.every((c) => c.type === 'text');
      if (options.skipUnreadable && !readable) skipped.push(s.name);
      else problems.push(...((err as CatalogError).problems ?? [{ catalog: s.name, message: String(err) }]));
    }
  }
  if (problems.length) return { valid: false, problems, skipped };
  try {
    const catalog = compileCatalogs(inputs);
    return { valid: true, problems: [], skipped, sdl: generateSchema(catalog, options.defaultLimit).sdl };
  } catch (err) {
    if (err instanceof CatalogError) return { valid: false, problems: err.problems, skipped };
    throw err;
  }
}

function specOf(s: Omit<SourceInput, 'path' | 'catalogs'>): SourceSpec {
  return { name: s.name, type: s.type, prefix: s.prefix, asModule: s.asModule, readOnly: s.readOnly };
}
