import { Inject, Injectable, Logger, Optional } from '@nestjs/common';
import { ModuleRef } from '@nestjs/core';
import type { Identity } from '@app/auth';
import { CACHE, type TwoLevelCache } from '@app/cache';
import {
  type AppliedSchema,
  CLUSTER_OPTIONS,
  CORE_PATHS,
  CacheNotifier,
  ClusterClient,
  type ClusterOptions,
  ClusterRequestError,
  type SchemaApplier,
  SchemaSyncService,
  type SourceStatus,
} from '@app/cluster';
import { MUNINN_CONFIG, type MuninnConfig } from '@app/config';
import { CoreDb, type DefinitionsSnapshot, readDefinitions, servedDataSources } from '@app/core-db';
import { Engine, type EngineLogger, type QueryResponse, describeSource } from '@app/engine';
import { StorageService } from '@app/storage';
import { LocalLifecycle, ManagementLifecycle } from './core-lifecycle.js';
import { type RequestContext, coreModule } from './core-module.js';

const DEBUG_LEVELS = new Set(['debug', 'trace']);

/** `@cache` without `ttl` when CACHE_TTL is 0: one minute. */
const FALLBACK_TTL_MS = 60_000;

/** A forwarded `core` write that management did not answer: a GraphQL error, nothing written. */
function coreWriteFailed(why: string): QueryResponse {
  const message = `core module writes go through management, which failed: ${why}`;
  return {
    status: 200,
    body: JSON.stringify({ errors: [{ message, extensions: { code: 'DATA_SOURCE_UNAVAILABLE' } }] }),
  };
}

/**
 * The work node's schema-apply step: compiles and attaches the sources of a version, plus the
 * built-in `core` module, into a new Engine aside; the sync service swaps it in one step and hands
 * the old one back to `release`.
 */
@Injectable()
export class EngineApplier implements SchemaApplier<Engine> {
  private readonly logger = new Logger('Engine');
  private readonly engineLogger: EngineLogger;
  private readonly core: ReturnType<typeof coreModule>;

  constructor(
    @Inject(MUNINN_CONFIG) private readonly config: MuninnConfig,
    @Inject(CoreDb) coreDb: CoreDb,
    @Inject(ClusterClient) client: ClusterClient,
    @Inject(CLUSTER_OPTIONS) cluster: ClusterOptions,
    @Inject(ModuleRef) moduleRef: ModuleRef,
    @Inject(CACHE) private readonly cache: TwoLevelCache,
    @Inject(CacheNotifier) private readonly notifier: CacheNotifier,
    @Optional() @Inject(StorageService) private readonly storage?: StorageService,
  ) {
    this.engineLogger = {
      // Per-statement debug lines sit on the hot path: a no-op unless debug logging is on.
      debug: DEBUG_LEVELS.has(config.log.level)
        ? (obj, msg) => this.logger.debug({ ...obj, msg })
        : () => undefined,
      warn: (obj, msg) => this.logger.warn({ ...obj, msg }),
      error: (obj, msg) => this.logger.error({ ...obj, msg }),
    };
    const managementUrl = cluster.managementUrl;
    const timeoutMs = cluster.timeoutMs;
    this.core = coreModule({
      coreDbUrl: coreDb.url,
      info: {
        version: config.version,
        clusterMode: managementUrl !== undefined,
        nodeRole: 'worker',
        nodeName: cluster.nodeName,
      },
      lifecycle: managementUrl
        ? new ManagementLifecycle(client, managementUrl, timeoutMs)
        : // Resolved when called: the sync service itself depends on this applier.
          new LocalLifecycle(coreDb, (v) => moduleRef.get(SchemaSyncService, { strict: false }).syncTo(v)),
      forward: managementUrl
        ? async (request): Promise<QueryResponse> => {
            try {
              const res = await client.request<unknown>(
                managementUrl,
                'POST',
                CORE_PATHS.mutation,
                request,
                timeoutMs,
              );
              if (res.status === 200) return { status: 200, body: JSON.stringify(res.body) };
              return coreWriteFailed(`management answered ${res.status}`);
            } catch (err) {
              if (err instanceof ClusterRequestError)
                return coreWriteFailed(`management is unreachable (${err.message})`);
              throw err;
            }
          }
        : undefined,
      invalidateCache: (tags) => this.invalidate(tags),
      describeSource: async (name, { allSchemas }) => {
        // The current definitions, so a source that is defined but not loaded (or failed) works too.
        const snapshot = await coreDb.snapshot((m) => readDefinitions(m));
        const source = snapshot.dataSources.find((ds) => ds.name === name);
        if (!source) return undefined;
        const sdl = await describeSource(source, {
          schemas: allSchemas ? 'all' : 'default',
          env: config.engine.sourceEnv,
          statementTimeoutMs: config.engine.statementTimeoutMs,
          resolveObjects: this.resolveObjects,
        });
        this.logger.debug({ source: name, msg: 'described data source schema' });
        return sdl;
      },
    });
  }

  /** The object-storage resolver of the last built version (duckdb sources on s3:// paths). */
  private resolveObjects?: (url: string) => Promise<string[]>;

  /**
   * Invalidates cached results by tags (undefined = all) here and, through management, on every
   * other node; returns once management answered, so no node serves the old value afterwards.
   */
  async invalidate(tags: string[] | undefined): Promise<number> {
    const dropped = await this.cache.invalidate(tags);
    await this.notifier.notify(tags);
    return dropped;
  }

  /**
   * What the served engine was built from. A version that changes only roles, permissions or API
   * keys (no data source, catalog or storage) keeps that engine and its pools: callers' rules
   * are per version anyway (CallerService), plans are keyed by the rules' digest, and cached
   * results by the caller's version (scopeOf).
   */
  private served?: { definitions: string; engine: Engine; sources: SourceStatus[] };

  async build(snapshot: DefinitionsSnapshot) {
    const definitions = engineDefinitions(snapshot);
    const served = this.served;
    if (served && served.definitions === definitions && served.sources.every((s) => s.ok)) {
      this.logger.log(
        `schema version ${snapshot.schemaVersion}: data sources and storages unchanged; the served engine and its connections are kept`,
      );
      return { payload: served.engine, sources: served.sources };
    }
    const { engine: cfg } = this.config;
    // Object storages of this version (credentials decrypted here): DuckDB sources read s3://
    // files through them, as local copies (libs/storage).
    const registry = this.storage?.apply(snapshot.storages);
    const resolveObjects = this.storage ? this.storage.resolverFor(registry) : undefined;
    this.resolveObjects = resolveObjects;
    const engine = await Engine.create([...servedDataSources(snapshot), this.core.source], {
      maxDepth: cfg.maxDepth,
      maxRootFields: cfg.maxRootFields,
      defaultLimit: cfg.defaultLimit,
      statementTimeoutMs: cfg.statementTimeoutMs,
      poolSize: cfg.poolSize,
      env: cfg.sourceEnv,
      logger: this.engineLogger,
      hostFunctions: this.core.hostFunctions,
      hostTypes: this.core.hostTypes,
      authorize: this.core.authorize,
      remoteMutations: this.core.remoteMutations,
      resolveObjects,
      // A mutation invalidates the objects it wrote (their type names are the entries' tags).
      onMutation: async (event) => {
        if (this.cache.enabled) await this.invalidate(event.objects);
      },
      cache: this.cache.enabled
        ? {
            store: this.cache,
            defaultTtlMs: this.config.cache.ttlMs > 0 ? this.config.cache.ttlMs : FALLBACK_TTL_MS,
            // A new engine (new definitions) starts a new generation.
            epoch: `v${snapshot.schemaVersion}`,
            scope: (context) => {
              const { identity, version } = (context as RequestContext | undefined) ?? {};
              // The caller's version: entries written under other roles/permissions are not shared.
              return `${version ?? snapshot.schemaVersion}\u0000${scopeOf(identity)}`;
            },
          }
        : undefined,
    });
    for (const s of engine.statuses.filter((st) => !st.ok))
      this.logger.warn(
        `data source ${s.name} left out of schema version ${snapshot.schemaVersion}: ${s.error}`,
      );
    // The built-in core module is not a defined data source: it is not reported per node.
    const sources = engine.statuses.filter((s) => s.name !== this.core.source.name);
    this.served = { definitions, engine, sources };
    return { payload: engine, sources };
  }

  /** Requests in flight finish on the old engine: its pools close once their clients are returned. */
  async release(previous: AppliedSchema<Engine>): Promise<void> {
    if (previous.payload === this.served?.engine) return; // kept for the new version
    await previous.payload.close();
  }
}

/**
 * Everything of a version an engine is built from: the served data sources (with their catalogs
 * and last change, which reloadDataSource bumps) and the object storages.
 */
function engineDefinitions(snapshot: DefinitionsSnapshot): string {
  return JSON.stringify([servedDataSources(snapshot), snapshot.storages]);
}

/**
 * The cache namespace of a caller: role, user and claims (claims feed `[$auth.*]` permission
 * filters, so two callers differing only in claims may see different rows).
 */
function scopeOf(identity: Identity | undefined): string {
  if (!identity) return 'anonymous';
  const shared = Object.isFrozen(identity);
  let scope = shared ? scopes.get(identity) : undefined;
  if (scope === undefined) {
    const { role, userId, userName, authType, provider, claims } = identity;
    scope = JSON.stringify([role, userId, userName, authType, provider, claims]);
    if (shared) scopes.set(identity, scope);
  }
  return scope;
}

/** Scopes of frozen identities, which are shared across requests (the plain secret-key admin). */
const scopes = new WeakMap<Identity, string>();
