import { Inject, Injectable } from '@nestjs/common';
import { HealthIndicatorService } from '@nestjs/terminus';
import { CACHE } from './cache.tokens.js';
import type { TwoLevelCache } from './two-level-cache.js';

/**
 * Cache state for the readiness details. Always up: with L2 down the node serves from L1 and
 * the databases (SPEC §8), so an L2 outage is reported here and in the metrics, not as not-ready.
 */
@Injectable()
export class CacheHealthIndicator {
  constructor(
    private readonly health: HealthIndicatorService,
    @Inject(CACHE) private readonly cache: TwoLevelCache,
  ) {}

  isHealthy(key = 'cache') {
    const { l1, l2 } = this.cache.status();
    return this.health.check(key).up({
      l1,
      l2: l2.enabled
        ? { up: l2.up, backend: l2.backend, ...(l2.lastError ? { lastError: l2.lastError } : {}) }
        : { enabled: false },
    });
  }
}
