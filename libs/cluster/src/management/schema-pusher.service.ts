import { Inject, Injectable, Logger } from '@nestjs/common';
import type { ClusterNodeEntity } from '@app/core-db';
import { ClusterClient } from '../cluster-client.js';
import { CLUSTER_OPTIONS, type ClusterOptions } from '../cluster-options.js';
import { CLUSTER_PREFIX, type SyncResponse } from '../protocol.js';
import { ClusterMetrics } from './cluster.metrics.js';
import { NodeRegistry } from './node-registry.service.js';

export interface NodePushResult {
  node: string;
  success: boolean;
  message: string | null;
  appliedVersion: number | null;
  durationMs: number;
}

/** Pushes a schema version to nodes and reports what each one did. */
@Injectable()
export class SchemaPusher {
  private readonly logger = new Logger('SchemaPusher');

  constructor(
    @Inject(CLUSTER_OPTIONS) private readonly options: ClusterOptions,
    @Inject(ClusterClient) private readonly client: ClusterClient,
    @Inject(NodeRegistry) private readonly registry: NodeRegistry,
    @Inject(ClusterMetrics) private readonly metrics: ClusterMetrics = new ClusterMetrics(),
  ) {}

  /** Sends the version to every HEALTHY node in parallel; resolves when all answered, failed or timed out. */
  async pushToHealthy(schemaVersion: number): Promise<NodePushResult[]> {
    const nodes = (await this.registry.list()).filter((n) => n.status === 'HEALTHY');
    return Promise.all(nodes.map((n) => this.push(n, schemaVersion)));
  }

  async push(node: ClusterNodeEntity, schemaVersion: number): Promise<NodePushResult> {
    const started = performance.now();
    const done = (
      success: boolean,
      message: string | null,
      appliedVersion: number | null,
    ): NodePushResult => {
      const ms = performance.now() - started;
      this.metrics.pushed(node.name, success, ms / 1000);
      return { node: node.name, success, message, appliedVersion, durationMs: Math.round(ms) };
    };
    try {
      const res = await this.client.request<SyncResponse & { message?: string }>(
        node.url,
        'POST',
        `${CLUSTER_PREFIX}/sync`,
        { schemaVersion },
        this.options.nodeTimeoutMs,
      );
      if (res.status !== 200) {
        const message = `sync refused with HTTP ${res.status}${res.body?.message ? `: ${res.body.message}` : ''}`;
        this.logger.warn(`push of version ${schemaVersion} to ${node.name} failed: ${message}`);
        return done(false, message, null);
      }
      await this.registry.recordAppliedVersion(node.name, res.body.appliedVersion);
      this.registry.recordSources(node.name, res.body.sources);
      const failed = res.body.sources.filter((s) => !s.ok);
      const message = failed.length ? failed.map((s) => `${s.name}: ${s.error}`).join('; ') : null;
      return done(res.body.appliedVersion >= schemaVersion, message, res.body.appliedVersion);
    } catch (err) {
      const message = (err as Error).message;
      this.logger.warn(`push of version ${schemaVersion} to ${node.name} failed: ${message}`);
      return done(false, message, null);
    }
  }
}
