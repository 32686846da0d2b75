import {
  type DynamicModule,
  Inject,
  Logger,
  Module,
  type OnModuleDestroy,
  type OnModuleInit,
} from '@nestjs/common';
import { TerminusModule } from '@nestjs/terminus';
import { CacheHealthIndicator } from './cache.health.js';
import { CACHE, CACHE_OPTIONS } from './cache.tokens.js';
import type { CacheOptions } from './cache.types.js';
import { TwoLevelCache } from './two-level-cache.js';

/** Global: provides CACHE (connected on init, closed on destroy), CACHE_OPTIONS and CacheHealthIndicator. */
@Module({})
export class MuninnCacheModule implements OnModuleInit, OnModuleDestroy {
  constructor(@Inject(CACHE) private readonly cache: TwoLevelCache) {}

  static forRoot(options: CacheOptions): DynamicModule {
    return {
      module: MuninnCacheModule,
      global: true,
      imports: [TerminusModule],
      providers: [
        { provide: CACHE_OPTIONS, useValue: options },
        { provide: CACHE, useFactory: () => new TwoLevelCache(options, new Logger('Cache')) },
        CacheHealthIndicator,
      ],
      exports: [CACHE_OPTIONS, CACHE, CacheHealthIndicator],
    };
  }

  /** Bounded by the L2 timeout; an unreachable L2 does not hold the node back (SPEC §8). */
  async onModuleInit(): Promise<void> {
    await this.cache.connect();
  }

  async onModuleDestroy(): Promise<void> {
    await this.cache.close();
  }
}
