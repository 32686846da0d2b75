import { Inject, Injectable } from '@nestjs/common';
import { CLUSTER_OPTIONS, type ClusterOptions, NodeRegistry } from '@app/cluster';
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
  constructor(
    @Inject(CLUSTER_OPTIONS) private readonly options: ClusterOptions,
    @Inject(NodeRegistry) private readonly registry: NodeRegistry,
    @Inject(CoreDb) private readonly coreDb: CoreDb,
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
}
