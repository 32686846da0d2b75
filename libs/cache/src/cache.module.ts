import { type DynamicModule, Module } from '@nestjs/common';

export const CACHE_OPTIONS = Symbol('CACHE_OPTIONS');

export interface CacheModuleOptions {
  ttlMs: number;
  l1Enabled: boolean;
  l1MaxSizeMb: number;
  l2Enabled: boolean;
  l2Backend: 'redis' | 'memcached';
  l2Addresses: string[];
}

/**
 * Skeleton of the two-level cache (SPEC §8). The L1/L2 stores, tags and cluster-wide
 * invalidation arrive with the "Authentication, permissions and cache" issue; for now the
 * module only carries its validated options so apps can wire it already.
 */
@Module({})
export class MuninnCacheModule {
  static forRoot(options: CacheModuleOptions): DynamicModule {
    return {
      module: MuninnCacheModule,
      global: true,
      providers: [{ provide: CACHE_OPTIONS, useValue: options }],
      exports: [CACHE_OPTIONS],
    };
  }
}
