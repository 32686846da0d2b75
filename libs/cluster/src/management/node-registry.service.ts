import { Inject, Injectable, Logger } from '@nestjs/common';
import { ClusterNodeEntity, CoreDb, type NodeStatus } from '@app/core-db';
import type { HeartbeatRequest, NodeState, RegisterRequest, SourceStatus } from '../protocol.js';

/** The persisted node registry (`cluster_nodes`). Management is its only writer. */
@Injectable()
export class NodeRegistry {
  private readonly logger = new Logger('NodeRegistry');
  /** Last per-source load report of each node (from pushes and health checks); not persisted. */
  private readonly sources = new Map<string, SourceStatus[]>();

  constructor(@Inject(CoreDb) private readonly coreDb: CoreDb) {}

  private get repo() {
    return this.coreDb.dataSource.getRepository(ClusterNodeEntity);
  }

  list(): Promise<ClusterNodeEntity[]> {
    return this.repo.find({ order: { name: 'ASC' } });
  }

  find(name: string): Promise<ClusterNodeEntity | null> {
    return this.repo.findOneBy({ name });
  }

  /** Idempotent upsert by name. A (re-)registering node starts as STARTING until its first check. */
  async register(req: RegisterRequest): Promise<ClusterNodeEntity> {
    const now = new Date();
    const previous = await this.find(req.name);
    const node = this.repo.create({
      name: req.name,
      url: req.url.replace(/\/$/, ''),
      role: 'worker',
      version: req.version,
      status: 'STARTING',
      startedAt: new Date(req.startedAt),
      registeredAt: previous?.registeredAt ?? now,
      lastSeen: now,
      lastError: null,
      schemaVersion: req.schemaVersion,
      consecutiveFailures: 0,
      unhealthySince: null,
    });
    await this.repo.save(node);
    this.logger.log(`node ${req.name} registered at ${node.url} (schema version ${req.schemaVersion})`);
    return node;
  }

  /** Returns false when the node is unknown (it must register again). */
  async heartbeat(name: string, hb: HeartbeatRequest): Promise<boolean> {
    const patch: Partial<ClusterNodeEntity> = { lastSeen: new Date(), schemaVersion: hb.schemaVersion };
    if (hb.draining) patch.status = 'DRAINING';
    const result = await this.repo.update({ name }, patch);
    return (result.affected ?? 0) > 0;
  }

  recordSources(node: string, sources: SourceStatus[]): void {
    this.sources.set(node, sources);
  }

  sourceStatus(node: string, source: string): SourceStatus | undefined {
    return this.sources.get(node)?.find((s) => s.name === source);
  }

  async remove(name: string, why: string): Promise<boolean> {
    this.sources.delete(name);
    const result = await this.repo.delete({ name });
    const removed = (result.affected ?? 0) > 0;
    if (removed) this.logger.log(`node ${name} removed (${why})`);
    return removed;
  }

  async recordSuccess(node: ClusterNodeEntity, schemaVersion: number, state: NodeState): Promise<NodeStatus> {
    const status: NodeStatus = state === 'draining' ? 'DRAINING' : state === 'ready' ? 'HEALTHY' : 'STARTING';
    if (node.status !== status) this.logger.log(`node ${node.name} is ${status}`);
    await this.repo.update(
      { name: node.name },
      {
        status,
        lastSeen: new Date(),
        lastError: null,
        consecutiveFailures: 0,
        unhealthySince: null,
        schemaVersion,
      },
    );
    return status;
  }

  /** After `threshold` consecutive failures the node is UNHEALTHY. */
  async recordFailure(node: ClusterNodeEntity, error: string, threshold: number): Promise<NodeStatus> {
    const failures = node.consecutiveFailures + 1;
    const status: NodeStatus = failures >= threshold ? 'UNHEALTHY' : node.status;
    if (status !== node.status) this.logger.warn(`node ${node.name} is UNHEALTHY: ${error}`);
    await this.repo.update(
      { name: node.name },
      {
        status,
        lastError: error,
        consecutiveFailures: failures,
        unhealthySince: status === 'UNHEALTHY' ? (node.unhealthySince ?? new Date()) : null,
      },
    );
    return status;
  }

  async recordAppliedVersion(name: string, schemaVersion: number): Promise<void> {
    await this.repo.update({ name }, { schemaVersion, lastSeen: new Date() });
  }
}
