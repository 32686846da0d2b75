import { Inject, Injectable, Logger } from '@nestjs/common';
import { ModuleRef } from '@nestjs/core';
import {
  type AppliedSchema,
  CLUSTER_OPTIONS,
  CORE_PATHS,
  ClusterClient,
  type ClusterOptions,
  ClusterRequestError,
  type SchemaApplier,
  SchemaSyncService,
} from '@app/cluster';
import { MUNINN_CONFIG, type MuninnConfig } from '@app/config';
import { CoreDb, type DefinitionsSnapshot, servedDataSources } from '@app/core-db';
import { Engine, type EngineLogger, type QueryResponse } from '@app/engine';
import { LocalLifecycle, ManagementLifecycle } from './core-lifecycle.js';
import { coreModule } from './core-module.js';

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
  private readonly engineLogger: EngineLogger = {
    debug: (obj, msg) => this.logger.debug({ ...obj, msg }),
    warn: (obj, msg) => this.logger.warn({ ...obj, msg }),
    error: (obj, msg) => this.logger.error({ ...obj, msg }),
  };
  private readonly core: ReturnType<typeof coreModule>;

  constructor(
    @Inject(MUNINN_CONFIG) private readonly config: MuninnConfig,
    @Inject(CoreDb) coreDb: CoreDb,
    @Inject(ClusterClient) client: ClusterClient,
    @Inject(CLUSTER_OPTIONS) cluster: ClusterOptions,
    @Inject(ModuleRef) moduleRef: ModuleRef,
  ) {
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
    });
  }

  async build(snapshot: DefinitionsSnapshot) {
    const { engine: cfg } = this.config;
    const engine = await Engine.create([...servedDataSources(snapshot), this.core.source], {
      maxDepth: cfg.maxDepth,
      defaultLimit: cfg.defaultLimit,
      statementTimeoutMs: cfg.statementTimeoutMs,
      poolSize: cfg.poolSize,
      env: cfg.sourceEnv,
      logger: this.engineLogger,
      hostFunctions: this.core.hostFunctions,
      hostTypes: this.core.hostTypes,
      authorize: this.core.authorize,
      remoteMutations: this.core.remoteMutations,
    });
    for (const s of engine.statuses.filter((st) => !st.ok))
      this.logger.warn(
        `data source ${s.name} left out of schema version ${snapshot.schemaVersion}: ${s.error}`,
      );
    // The built-in core module is not a defined data source: it is not reported per node.
    return { payload: engine, sources: engine.statuses.filter((s) => s.name !== this.core.source.name) };
  }

  /** Requests in flight finish on the old engine: its pools close once their clients are returned. */
  async release(previous: AppliedSchema<Engine>): Promise<void> {
    await previous.payload.close();
  }
}
