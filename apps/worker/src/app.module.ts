import { type DynamicModule, Module } from '@nestjs/common';
import { CacheHealthIndicator, MuninnCacheModule } from '@app/cache';
import { ClusterModule, MembershipHealthIndicator, SchemaHealthIndicator } from '@app/cluster';
import { MuninnConfigModule, type MuninnConfig } from '@app/config';
import { CoreDbHealthIndicator, CoreDbModule } from '@app/core-db';
import { AdminUiModule, DataApiModule } from '@app/data-api';
import { ProbesModule } from '@app/health';
import { MetricsModule } from '@app/metrics';
import { loggerModule } from '@app/platform';
import { StorageHealthIndicator, StorageModule } from '@app/storage';
import { clusterOptions, coreDbOptions } from './worker.options.js';

/** Composition root of a work node: it only imports. */
@Module({})
export class WorkerModule {
  static forRoot(config: MuninnConfig): DynamicModule {
    return {
      module: WorkerModule,
      imports: [
        MuninnConfigModule.forRoot(config),
        loggerModule(config.log, config.cluster.nodeName),
        MetricsModule.forRoot({ role: 'worker', nodeName: config.cluster.nodeName, version: config.version }),
        CoreDbModule.forRoot(coreDbOptions(config)),
        MuninnCacheModule.forRoot({ ...config.cache, nodeName: config.cluster.nodeName }),
        StorageModule.forRoot(config.storage),
        ClusterModule.forRoot(clusterOptions(config)),
        DataApiModule.forRoot(),
        AdminUiModule,
        ProbesModule.forRoot({
          readiness: [
            CoreDbHealthIndicator,
            SchemaHealthIndicator,
            MembershipHealthIndicator,
            CacheHealthIndicator,
            StorageHealthIndicator,
          ],
        }),
      ],
    };
  }
}
