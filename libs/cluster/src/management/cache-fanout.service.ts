import { Inject, Injectable, Logger } from '@nestjs/common';
import type { ClusterNodeEntity } from '@app/core-db';
import { describeTags, invalidationTags } from '../cache-invalidator.js';
import { ClusterClient } from '../cluster-client.js';
import { CLUSTER_OPTIONS, type ClusterOptions } from '../cluster-options.js';
import { CACHE_PATHS, type CacheInvalidateResponse } from '../protocol.js';
import { ClusterMetrics } from './cluster.metrics.js';
import { NodeRegistry } from './node-registry.service.js';
import type { NodePushResult } from './schema-pusher.service.js';

/** Management's answer to a work node that asked for a cluster-wide invalidation. */
export interface CacheFanoutResponse {
  nodes: NodePushResult[];
}

/**
 * Cluster-wide cache invalidation (SPEC §8): sends the tags to every HEALTHY node in parallel,
 * each call bounded by `TIMEOUT`. A node that was not reached (failed, timed out, or not
 * HEALTHY at the time) may still hold what was invalidated; it is remembered, and the health
 * checker sends it an invalidate-everything as soon as it sees the node HEALTHY again.
 */
@Injectable()
export class CacheFanout {
  private readonly logger = new Logger('CacheFanout');
  /** Nodes that missed an invalidation → generation of their latest miss. */
  private readonly missed = new Map<string, number>();
  private generation = 0;

  constructor(
    @Inject(CLUSTER_OPTIONS) private readonly options: ClusterOptions,
    @Inject(ClusterClient) private readonly client: ClusterClient,
    @Inject(NodeRegistry) private readonly registry: NodeRegistry,
    @Inject(ClusterMetrics) private readonly metrics: ClusterMetrics = new ClusterMetrics(),
  ) {
    metrics.trackPendingFlushes(() => this.missed.size);
  }

  /** Invalidates `tags` (undefined or empty: everything) on every healthy node but `exceptNode`. */
  async fanOut(tags: readonly string[] | null | undefined, exceptNode?: string): Promise<NodePushResult[]> {
    const wanted = invalidationTags(tags);
    this.metrics.fannedOut();
    const targets: ClusterNodeEntity[] = [];
    for (const node of await this.registry.list()) {
      if (node.name === exceptNode) continue;
      if (node.status === 'HEALTHY') targets.push(node);
      else this.remember(node.name);
    }
    return Promise.all(targets.map((n) => this.send(n, wanted)));
  }

  /** Whether the node may have missed an invalidation since it was last flushed. */
  hasMissed(name: string): boolean {
    return this.missed.has(name);
  }

  /** Names of the nodes owed an invalidate-everything (for readiness details and tests). */
  get pending(): string[] {
    return [...this.missed.keys()].sort();
  }

  /**
   * Called by the health checker when it sees a node HEALTHY: a node that missed an invalidation
   * gets an invalidate-everything. It stays owed one until such a call succeeds.
   */
  async catchUp(node: ClusterNodeEntity): Promise<void> {
    const owed = this.missed.get(node.name);
    if (owed === undefined) return;
    this.logger.log(`node ${node.name} may have missed a cache invalidation; invalidating everything on it`);
    const result = await this.send(node, undefined);
    // A miss recorded while this call was in flight is not covered by it.
    if (result.success && this.missed.get(node.name) === owed) this.missed.delete(node.name);
  }

  /** A node that left the cluster on purpose owes nothing. */
  forget(name: string): void {
    this.missed.delete(name);
  }

  private remember(name: string): void {
    this.missed.set(name, ++this.generation);
  }

  private failed(node: string, what: string, message: string): void {
    this.remember(node);
    this.metrics.deliveryFailed(node);
    this.logger.warn(`cache invalidation (${what}) on ${node} failed: ${message}`);
  }

  private async send(node: ClusterNodeEntity, tags: string[] | undefined): Promise<NodePushResult> {
    const started = performance.now();
    const done = (success: boolean, message: string | null): NodePushResult => ({
      node: node.name,
      success,
      message,
      appliedVersion: null,
      durationMs: Math.round(performance.now() - started),
    });
    const what = describeTags(tags);
    try {
      const res = await this.client.request<CacheInvalidateResponse & { message?: string }>(
        node.url,
        'POST',
        CACHE_PATHS.invalidate,
        { tags: tags ?? null },
        this.options.nodeTimeoutMs,
      );
      if (res.status !== 200 || typeof res.body?.dropped !== 'number') {
        const message = `invalidation refused with HTTP ${res.status}${res.body?.message ? `: ${res.body.message}` : ''}`;
        this.failed(node.name, what, message);
        return done(false, message);
      }
      const dropped = res.body.dropped;
      return done(true, `dropped ${dropped} cached ${dropped === 1 ? 'entry' : 'entries'}`);
    } catch (err) {
      const message = (err as Error).message;
      this.failed(node.name, what, message);
      return done(false, message);
    }
  }
}
