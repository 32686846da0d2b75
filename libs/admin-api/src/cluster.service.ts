import { Inject, Injectable, Logger } from '@nestjs/common';
import {
  CLUSTER_OPTIONS,
  CacheFanout,
  CacheInvalidateRequest,
  type ClusterOptions,
  NodeRegistry,
  describeTags,
} from '@app/cluster';
import { CoreDb, readSchemaVersion } from '@app/core-db';
import { AdminError } from './admin.errors.js';
import {
  type ClusterNode,
  type ClusterOperationResult,
  type ClusterStatus,
  NodeStatusEnum,
} from './models/cluster.model.js';

@Injectable()
export class ClusterService {
  private readonly logger = new Logger('ClusterService');

  constructor(
    @Inject(CLUSTER_OPTIONS) private readonly options: ClusterOptions,
    @Inject(NodeRegistry) private readonly registry: NodeRegistry,
    @Inject(CoreDb) private readonly coreDb: CoreDb,
    @Inject(CacheFanout) private readonly cache: CacheFanout,
  ) {}

  async nodes(): Promise<ClusterNode[]> {
    return (await this.registry.list()).map((n) => ({ ...n, status: n.status as NodeStatusEnum }));
  }

  async status(): Promise<ClusterStatus> {
    const [nodes, schemaVersion] = await Promise.all([
      this.registry.list(),
      readSchemaVersion(this.coreDb.dataSource.manager),
    ]);
    return {
      schemaVersion,
      nodeCount: nodes.length,
      healthyNodeCount: nodes.filter((n) => n.status === NodeStatusEnum.HEALTHY).length,
      version: this.options.version,
    };
  }

  async removeNode(name: string): Promise<ClusterOperationResult> {
    if (!(await this.registry.remove(name, 'removed by an operator'))) {
      throw new AdminError('NOT_FOUND', `node "${name}" is not registered`);
    }
    return {
      success: true,
      message: `node ${name} removed from the registry`,
      schemaVersion: null,
      nodes: [],
    };
  }

  /** Invalidates cached entries with any of `tags` (none: everything) on every healthy node. */
  async invalidateCache(tags: string[] | null | undefined): Promise<ClusterOperationResult> {
    const parsed = CacheInvalidateRequest.safeParse({ tags });
    if (!parsed.success)
      throw new AdminError(
        'BAD_USER_INPUT',
        'tags must be at most 1000 non-empty strings of at most 256 characters each',
      );
    const nodes = await this.cache.fanOut(parsed.data.tags);
    const failed = nodes.filter((n) => !n.success);
    const message =
      `invalidate cache (${describeTags(parsed.data.tags)}): done on ${nodes.length - failed.length} of ${nodes.length} healthy node(s)` +
      (failed.length
        ? `; failed on ${failed.map((n) => n.node).join(', ')} (they are flushed when healthy again)`
        : '');
    this.logger.log(message);
    return { success: failed.length === 0, message, schemaVersion: null, nodes };
  }
}
