import { Inject, Injectable } from '@nestjs/common';
import { HealthIndicatorService } from '@nestjs/terminus';
import { StorageService } from './storage.service.js';

/**
 * Object storages for the readiness details: names, scopes and whether the node can use each
 * (credentials decrypted), plus the cache's use. Always up: a storage that cannot be used fails
 * the queries that read it, not the node.
 */
@Injectable()
export class StorageHealthIndicator {
  constructor(
    private readonly health: HealthIndicatorService,
    @Inject(StorageService) private readonly storage: StorageService,
  ) {}

  isHealthy(key = 'storage') {
    const { bytes, files, maxBytes } = this.storage.fetcher.cacheStats;
    return this.health.check(key).up({
      storages: this.storage.registry.summary(),
      cache: {
        files,
        sizeMb: Math.round(bytes / 1024 / 102.4) / 10,
        maxSizeMb: Math.round(maxBytes / 1024 / 1024),
      },
    });
  }
}
