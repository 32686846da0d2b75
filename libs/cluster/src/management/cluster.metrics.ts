import { Inject, Injectable, Optional } from '@nestjs/common';
import { type ClusterNodeEntity, CoreDb, type NodeStatus, readSchemaVersion } from '@app/core-db';
import { type Counter, type Histogram, LATENCY_BUCKETS, MetricsService, type Sample } from '@app/metrics';
import { NodeRegistry } from './node-registry.service.js';

const STATUSES: readonly NodeStatus[] = ['STARTING', 'HEALTHY', 'UNHEALTHY', 'DRAINING'];
/** A scrape reads the registry at most this often, and waits for it at most this long. */
const SNAPSHOT_TTL_MS = 1000;
const SNAPSHOT_TIMEOUT_MS = 2000;

interface RegistrySnapshot {
  nodes: Pick<ClusterNodeEntity, 'name' | 'status' | 'schemaVersion'>[];
  schemaVersion: number;
}

/**
 * Management's metrics (SPEC §10): nodes by status, schema pushes, health checks and cache
 * fan-outs. Node names are labels here (operators name nodes; they carry no credentials, unlike
 * node URLs); series of nodes that left the registry are dropped at the next scrape.
 */
@Injectable()
export class ClusterMetrics {
  private readonly pushes: Counter;
  private readonly pushFailures: Counter<'node'>;
  private readonly pushDuration: Histogram;
  private readonly checkFailures: Counter<'node'>;
  private readonly checkDuration: Histogram;
  private readonly fanOuts: Counter;
  private readonly fanOutFailures: Counter<'node'>;
  private snapshotCache: { at: number; value: Promise<RegistrySnapshot> } | undefined;
  /** Nodes that have a series in a per-node counter. */
  private readonly labelledNodes = new Set<string>();

  constructor(
    @Optional() @Inject(MetricsService) private readonly metrics: MetricsService = new MetricsService(),
    @Optional() @Inject(NodeRegistry) private readonly registry?: NodeRegistry,
    @Optional() @Inject(CoreDb) private readonly coreDb?: CoreDb,
  ) {
    this.pushes = metrics.counter({
      name: 'muninn_schema_pushes_total',
      help: 'Schema versions pushed to a node (POST /cluster/v1/sync), successful or not',
    });
    this.pushFailures = metrics.counter({
      name: 'muninn_schema_push_failures_total',
      help: 'Schema pushes that failed (error, timeout, refusal, or the node did not reach the version), by node',
      labelNames: ['node'],
    });
    this.pushDuration = metrics.histogram({
      name: 'muninn_schema_push_duration_seconds',
      help: 'Time from sending a schema push to the node answering (the node applies before it answers)',
      buckets: LATENCY_BUCKETS,
    });
    this.checkFailures = metrics.counter({
      name: 'muninn_health_check_failures_total',
      help: 'Failed health checks of work nodes (timeout, connection error, non-200, wrong name), by node',
      labelNames: ['node'],
    });
    this.checkDuration = metrics.histogram({
      name: 'muninn_health_check_duration_seconds',
      help: 'Round trip of one health check (GET /cluster/v1/health) to a work node',
      buckets: LATENCY_BUCKETS,
    });
    this.fanOuts = metrics.counter({
      name: 'muninn_cache_fanouts_total',
      help: 'Cluster-wide cache invalidations sent to the work nodes',
    });
    this.fanOutFailures = metrics.counter({
      name: 'muninn_cache_fanout_failures_total',
      help: 'Cache invalidations sent to a node that failed or were refused (it is then owed a full flush), by node',
      labelNames: ['node'],
    });
    if (registry && coreDb) this.registryGauges();
  }

  pushed(node: string, ok: boolean, seconds: number): void {
    this.pushes.inc();
    this.pushDuration.observe(seconds);
    if (!ok) this.countFor(this.pushFailures, node);
  }

  checked(node: string, ok: boolean, seconds: number): void {
    this.checkDuration.observe(seconds);
    if (!ok) this.countFor(this.checkFailures, node);
  }

  fannedOut(): void {
    this.fanOuts.inc();
  }

  deliveryFailed(node: string): void {
    this.countFor(this.fanOutFailures, node);
  }

  /** Nodes owed an invalidate-everything, read at scrape time. */
  trackPendingFlushes(count: () => number): void {
    this.metrics.sampledGauge(
      {
        name: 'muninn_cache_fanout_pending_nodes',
        help: 'Nodes that missed a cache invalidation and get a full flush once HEALTHY again',
      },
      () => [{ value: count() }],
    );
  }

  private registryGauges(): void {
    this.metrics.sampledGauge(
      { name: 'muninn_cluster_nodes', help: 'Registered work nodes by status', labelNames: ['status'] },
      async (): Promise<Sample<'status'>[]> => {
        const { nodes } = await this.snapshot();
        return STATUSES.map((status) => ({
          labels: { status },
          value: nodes.filter((n) => n.status === status).length,
        }));
      },
    );
    this.metrics.sampledGauge(
      {
        name: 'muninn_cluster_node_status',
        help: 'Always 1, one series per registered node, labelled with its current status',
        labelNames: ['node', 'status'],
      },
      async () =>
        (await this.snapshot()).nodes.map((n) => ({ labels: { node: n.name, status: n.status }, value: 1 })),
    );
    this.metrics.sampledGauge(
      {
        name: 'muninn_cluster_node_schema_version',
        help: 'Schema version each node last reported applied',
        labelNames: ['node'],
      },
      async () =>
        (await this.snapshot()).nodes.map((n) => ({ labels: { node: n.name }, value: n.schemaVersion })),
    );
    this.metrics.sampledGauge(
      { name: 'muninn_cluster_schema_version', help: 'Current schema version in the core DB' },
      async () => [{ value: (await this.snapshot()).schemaVersion }],
    );
  }

  /** One registry read serves every gauge of a scrape; bounded so a slow core DB cannot stall it. */
  private snapshot(): Promise<RegistrySnapshot> {
    const now = Date.now();
    if (this.snapshotCache && now - this.snapshotCache.at < SNAPSHOT_TTL_MS) return this.snapshotCache.value;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error('the core DB did not answer in time')), SNAPSHOT_TIMEOUT_MS);
      timer.unref();
    });
    const read = Promise.all([
      this.registry!.list(),
      readSchemaVersion(this.coreDb!.dataSource.manager),
    ]).then(([nodes, schemaVersion]) => {
      this.dropLeftNodes(new Set(nodes.map((n) => n.name)));
      return { nodes, schemaVersion };
    });
    const value = Promise.race([read, timeout]).finally(() => clearTimeout(timer));
    value.catch(() => (this.snapshotCache = undefined));
    this.snapshotCache = { at: now, value };
    return value;
  }

  private countFor(counter: Counter<'node'>, node: string): void {
    this.labelledNodes.add(node);
    counter.inc({ node });
  }

  /** Keeps the per-node series bounded by the registry: a node that left loses its series. */
  private dropLeftNodes(registered: Set<string>): void {
    for (const node of this.labelledNodes) {
      if (registered.has(node)) continue;
      this.labelledNodes.delete(node);
      for (const counter of [this.pushFailures, this.checkFailures, this.fanOutFailures])
        counter.remove({ node });
    }
  }
}
