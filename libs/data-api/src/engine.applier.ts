import { Inject, Injectable, Logger } from '@nestjs/common';
import type { AppliedSchema, SchemaApplier } from '@app/cluster';
import { MUNINN_CONFIG, type MuninnConfig } from '@app/config';
import { type DefinitionsSnapshot, servedDataSources } from '@app/core-db';
import { Engine, type EngineLogger } from '@app/engine';

/**
 * The work node's schema-apply step: compiles and attaches the sources of a version into a new
 * Engine aside; the sync service swaps it in one step and hands the old one back to `release`.
 */
@Injectable()
export class EngineApplier implements SchemaApplier<Engine> {
  private readonly logger = new Logger('Engine');
  private readonly engineLogger: EngineLogger = {
    debug: (obj, msg) => this.logger.debug({ ...obj, msg }),
    warn: (obj, msg) => this.logger.warn({ ...obj, msg }),
    error: (obj, msg) => this.logger.error({ ...obj, msg }),
  };

  constructor(@Inject(MUNINN_CONFIG) private readonly config: MuninnConfig) {}

  async build(snapshot: DefinitionsSnapshot) {
    const { engine: cfg } = this.config;
    const engine = await Engine.create(servedDataSources(snapshot), {
      maxDepth: cfg.maxDepth,
      defaultLimit: cfg.defaultLimit,
      statementTimeoutMs: cfg.statementTimeoutMs,
      poolSize: cfg.poolSize,
      env: cfg.sourceEnv,
      logger: this.engineLogger,
    });
    for (const s of engine.statuses.filter((st) => !st.ok))
      this.logger.warn(
        `data source ${s.name} left out of schema version ${snapshot.schemaVersion}: ${s.error}`,
      );
    return { payload: engine, sources: engine.statuses };
  }

  /** Requests in flight finish on the old engine: its pools close once their clients are returned. */
  async release(previous: AppliedSchema<Engine>): Promise<void> {
    await previous.payload.close();
  }
}
