import {
  Inject,
  Injectable,
  Logger,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
} from '@nestjs/common';
import { SchedulerRegistry } from '@nestjs/schedule';
import { CoreDb, readDefinitions, readSchemaVersion } from '@app/core-db';
import { CLUSTER_OPTIONS, type ClusterOptions } from '../cluster-options.js';
import type { SyncResponse } from '../protocol.js';
import { NodeStateService } from './node-state.service.js';
import { type AppliedSchema, SCHEMA_APPLIER, type SchemaApplier } from './schema-applier.js';

const POLL_NAME = 'cluster-schema-poll';
const RETRY_FIRST_APPLY_MS = 1000;

/**
 * Keeps this node on the newest schema version: applies it at start, on a push from management
 * and on every poll. Applies are serialised; each one reads the definitions of one version in one
 * snapshot, builds the new schema aside and swaps it in one assignment.
 */
@Injectable()
export class SchemaSyncService implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('SchemaSync');
  private applied: AppliedSchema | undefined;
  private queue: Promise<unknown> = Promise.resolve();
  private stopped = false;
  private firstApplyTimer: NodeJS.Timeout | undefined;
  private markFirstApplied!: () => void;
  /** Resolves once the first version is applied. */
  readonly firstApplied = new Promise<void>((resolve) => (this.markFirstApplied = resolve));

  constructor(
    @Inject(CLUSTER_OPTIONS) private readonly options: ClusterOptions,
    @Inject(CoreDb) private readonly coreDb: CoreDb,
    @Inject(SCHEMA_APPLIER) private readonly applier: SchemaApplier,
    @Inject(NodeStateService) private readonly state: NodeStateService,
    @Inject(SchedulerRegistry) private readonly scheduler: SchedulerRegistry,
  ) {}

  /** The schema served right now (undefined until the first apply). */
  get current(): AppliedSchema | undefined {
    return this.applied;
  }

  get appliedVersion(): number {
    return this.applied?.version ?? 0;
  }

  onApplicationBootstrap(): void {
    const timer = setInterval(() => void this.poll(), this.options.pollIntervalMs);
    this.scheduler.addInterval(POLL_NAME, timer);
    // Not awaited: the node listens at once and reports not-ready until the first apply is done.
    void this.firstApply();
  }

  onApplicationShutdown(): void {
    this.stopped = true;
    clearTimeout(this.firstApplyTimer);
    if (this.scheduler.doesExist('interval', POLL_NAME)) this.scheduler.deleteInterval(POLL_NAME);
  }

  /** A node that cannot apply at start keeps retrying in the background and stays not-ready. */
  private async firstApply(): Promise<void> {
    try {
      await this.syncTo(0);
    } catch (err) {
      this.logger.error(`first schema apply failed, retrying: ${(err as Error).message}`);
      if (!this.stopped)
        this.firstApplyTimer = setTimeout(() => void this.firstApply(), RETRY_FIRST_APPLY_MS);
    }
  }

  private async poll(): Promise<void> {
    if (this.stopped) return;
    try {
      const latest = await readSchemaVersion(this.coreDb.dataSource.manager);
      if (latest > this.appliedVersion) {
        this.logger.log(`poll found schema version ${latest} (applied ${this.appliedVersion}); catching up`);
        await this.syncTo(latest);
      }
    } catch (err) {
      this.logger.warn(`schema poll failed: ${(err as Error).message}`);
    }
  }

  /** Ensures a version ≥ `minVersion` is applied (at least one apply when nothing is). */
  syncTo(minVersion: number): Promise<SyncResponse> {
    const run = this.queue.then(() => this.applyIfBehind(minVersion));
    this.queue = run.catch(() => undefined);
    return run;
  }

  private async applyIfBehind(minVersion: number): Promise<SyncResponse> {
    const started = performance.now();
    const served = this.applied;
    const unchanged = (): SyncResponse => ({
      appliedVersion: served!.version,
      durationMs: 0,
      sources: served!.sources,
    });
    if (served && served.version >= minVersion) return unchanged();
    const snapshot = await this.coreDb.snapshot((m) => readDefinitions(m));
    if (served && snapshot.schemaVersion <= served.version) return unchanged();
    const built = await this.applier.build(snapshot);
    const previous = this.applied;
    this.applied = { version: snapshot.schemaVersion, appliedAt: new Date(), ...built };
    this.state.markSchemaApplied();
    this.markFirstApplied();
    const durationMs = Math.round(performance.now() - started);
    this.logger.log(`schema version ${snapshot.schemaVersion} applied in ${durationMs} ms`);
    if (previous && this.applier.release) {
      this.applier
        .release(previous)
        .catch((err: Error) => this.logger.warn(`releasing old schema: ${err.message}`));
    }
    return { appliedVersion: snapshot.schemaVersion, durationMs, sources: built.sources };
  }
}
