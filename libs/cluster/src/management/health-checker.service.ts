import {
  Inject,
  Injectable,
  Logger,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
} from '@nestjs/common';
import { SchedulerRegistry } from '@nestjs/schedule';
import { type ClusterNodeEntity, CoreDb, readSchemaVersion } from '@app/core-db';
import { ClusterClient } from '../cluster-client.js';
import { CLUSTER_OPTIONS, type ClusterOptions } from '../cluster-options.js';
import { CLUSTER_PREFIX, type NodeHealthResponse } from '../protocol.js';
import { CacheFanout } from './cache-fanout.service.js';
import { ClusterMetrics } from './cluster.metrics.js';
import { NodeRegistry } from './node-registry.service.js';
import { SchemaPusher } from './schema-pusher.service.js';

/** Consecutive failed checks after which a node is UNHEALTHY (SPEC §9.2). */
export const FAILURES_BEFORE_UNHEALTHY = 2;
const INTERVAL_NAME = 'cluster-health-check';

/**
 * Checks every registered node each `CHECK`, with `TIMEOUT` per request. Nodes are checked in
 * parallel and a slow node never delays the others' checks; a node is never checked twice at once.
 */
@Injectable()
export class HealthChecker implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('HealthChecker');
  private readonly inFlight = new Set<string>();
  private stopped = false;

  constructor(
    @Inject(CLUSTER_OPTIONS) private readonly options: ClusterOptions,
    @Inject(ClusterClient) private readonly client: ClusterClient,
    @Inject(NodeRegistry) private readonly registry: NodeRegistry,
    @Inject(SchemaPusher) private readonly pusher: SchemaPusher,
    @Inject(CacheFanout) private readonly cache: CacheFanout,
    @Inject(CoreDb) private readonly coreDb: CoreDb,
    @Inject(SchedulerRegistry) private readonly scheduler: SchedulerRegistry,
    @Inject(ClusterMetrics) private readonly metrics: ClusterMetrics,
  ) {}

  onApplicationBootstrap(): void {
    const timer = setInterval(() => void this.checkAll(), this.options.checkIntervalMs);
    this.scheduler.addInterval(INTERVAL_NAME, timer);
    void this.checkAll(); // a restarted management re-checks its persisted registry at once
  }

  onApplicationShutdown(): void {
    this.stopped = true;
    if (this.scheduler.doesExist('interval', INTERVAL_NAME)) this.scheduler.deleteInterval(INTERVAL_NAME);
  }

  async checkAll(): Promise<void> {
    if (this.stopped) return;
    try {
      const [nodes, current] = await Promise.all([
        this.registry.list(),
        readSchemaVersion(this.coreDb.dataSource.manager),
      ]);
      await Promise.all(nodes.map((n) => this.check(n, current)));
    } catch (err) {
      this.logger.error(`health check round failed: ${(err as Error).message}`);
    }
  }

  /**
   * Checks one node now (also used right after a registration). `currentVersion` is the core
   * DB's schema version when the caller already read it (a check round reads it once).
   */
  async check(node: ClusterNodeEntity, currentVersion?: number): Promise<void> {
    if (this.inFlight.has(node.name) || this.stopped) return;
    this.inFlight.add(node.name);
    try {
      let health: NodeHealthResponse | undefined;
      let error: string | undefined;
      const started = performance.now();
      try {
        const res = await this.client.request<NodeHealthResponse>(
          node.url,
          'GET',
          `${CLUSTER_PREFIX}/health`,
          undefined,
          this.options.nodeTimeoutMs,
        );
        if (res.status === 200 && res.body?.name === node.name) health = res.body;
        else if (res.status === 200) error = `answered as node ${String(res.body?.name)}`;
        else error = `health check answered HTTP ${res.status}`;
      } catch (err) {
        error = (err as Error).message;
      }
      this.metrics.checked(node.name, health !== undefined, (performance.now() - started) / 1000);
      if (this.stopped) return;
      // The node may have been removed or re-registered while we waited.
      const current = await this.registry.find(node.name);
      if (!current) return;
      if (health) {
        await this.onHealthy(current, health, currentVersion);
      } else {
        await this.onFailure(current, error ?? 'unknown error');
      }
    } catch (err) {
      this.logger.error(`checking ${node.name} failed: ${(err as Error).message}`);
    } finally {
      this.inFlight.delete(node.name);
    }
  }

  private async onHealthy(
    node: ClusterNodeEntity,
    health: NodeHealthResponse,
    known?: number,
  ): Promise<void> {
    const status = await this.registry.recordSuccess(node, health.schemaVersion, health.state);
    this.registry.recordSources(node.name, health.sources);
    if (status !== 'HEALTHY') return;
    // A node back from an outage may lag in both: its schema version and invalidations it missed.
    await Promise.all([
      this.pushIfLagging({ ...node, status }, health.schemaVersion, known),
      this.cache.catchUp({ ...node, status }),
    ]);
  }

  private async pushIfLagging(node: ClusterNodeEntity, applied: number, known?: number): Promise<void> {
    const current = known ?? (await readSchemaVersion(this.coreDb.dataSource.manager));
    if (applied < current) {
      this.logger.log(`node ${node.name} lags (version ${applied} < ${current}); pushing`);
      await this.pusher.push(node, current);
    }
  }

  private async onFailure(node: ClusterNodeEntity, error: string): Promise<void> {
    const status = await this.registry.recordFailure(node, error, FAILURES_BEFORE_UNHEALTHY);
    const since = status === 'UNHEALTHY' ? (node.unhealthySince ?? new Date()) : null;
    if (since && Date.now() - since.getTime() > this.options.ghostTtlMs) {
      await this.registry.remove(node.name, `unhealthy for longer than ${this.options.ghostTtlMs} ms`);
    }
  }
}
