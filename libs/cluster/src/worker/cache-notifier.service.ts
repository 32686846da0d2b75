import { Inject, Injectable, Logger } from '@nestjs/common';
import { describeTags, invalidationTags } from '../cache-invalidator.js';
import { ClusterClient } from '../cluster-client.js';
import { CLUSTER_OPTIONS, type ClusterOptions } from '../cluster-options.js';
import { CACHE_PATHS, CacheInvalidateRequest } from '../protocol.js';
import type { CacheFanoutResponse } from '../management/cache-fanout.service.js';

/**
 * Tells management that this node invalidated cached entries, so that it invalidates them on
 * every other healthy node too (SPEC §8). Never throws: a missed fan-out is repaired by
 * management (a node it could not reach is flushed when it is healthy again), and the caller's
 * own write has already succeeded. Standalone nodes have no one to tell.
 */
@Injectable()
export class CacheNotifier {
  private readonly logger = new Logger('CacheNotifier');

  constructor(
    @Inject(CLUSTER_OPTIONS) private readonly options: ClusterOptions,
    @Inject(ClusterClient) private readonly client: ClusterClient,
  ) {}

  /** `tags` undefined or empty: everything. Resolves once management answered or the timeout passed. */
  async notify(tags: readonly string[] | undefined): Promise<void> {
    const managementUrl = this.options.managementUrl;
    if (!managementUrl) return;
    const body = { tags: invalidationTags(tags) ?? null };
    // Tags the endpoint would refuse (too many, too long): invalidating everything is always correct.
    if (!CacheInvalidateRequest.safeParse(body).success) body.tags = null;
    const what = describeTags(body.tags);
    try {
      const res = await this.client.request<CacheFanoutResponse & { message?: string }>(
        managementUrl,
        'POST',
        CACHE_PATHS.invalidate,
        body,
        this.options.timeoutMs,
      );
      if (res.status !== 200) {
        this.logger.warn(`management refused the cache invalidation of ${what} with HTTP ${res.status}`);
        return;
      }
      const failed = (res.body?.nodes ?? []).filter((n) => !n.success);
      if (failed.length)
        this.logger.warn(
          `cache invalidation of ${what} did not reach ${failed.map((n) => `${n.node} (${n.message ?? 'failed'})`).join(', ')}; management flushes them when they are healthy again`,
        );
    } catch (err) {
      this.logger.warn(
        `could not ask management to invalidate ${what} cluster-wide: ${(err as Error).message}`,
      );
    }
  }
}
