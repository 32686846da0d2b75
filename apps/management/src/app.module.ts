import { type DynamicModule, Module } from '@nestjs/common';
import { AdminApiModule } from '@app/admin-api';
import { ClusterModule, MembershipHealthIndicator } from '@app/cluster';
import { MuninnConfigModule, type MuninnConfig } from '@app/config';
import { CoreDbHealthIndicator, CoreDbModule } from '@app/core-db';
import { ProbesModule } from '@app/health';
import { MetricsModule } from '@app/metrics';
import { loggerModule } from '@app/platform';
import { clusterOptions, coreDbOptions } from './management.options.js';

/** Composition root of the management node: it only imports. */
@Module({})
export class ManagementModule {
  static forRoot(config: MuninnConfig): DynamicModule {
    return {
      module: ManagementModule,
      imports: [
        MuninnConfigModule.forRoot(config),
        loggerModule(config.log, 'management'),
        MetricsModule.forRoot({ role: 'management', nodeName: 'management', version: config.version }),
        CoreDbModule.forRoot(coreDbOptions(config)),
        ClusterModule.forRoot(clusterOptions(config)),
        AdminApiModule.forRoot({
          secretKey: config.auth.secretKey,
          clusterSecret: config.cluster.secret,
          allowManagedApiKeys: config.auth.allowManagedApiKeys,
          authConfigFile: config.auth.authConfigFile,
          oidc: config.auth.oidc,
          storageEncryptionKey: config.storage.encryptionKey,
        }),
        ProbesModule.forRoot({ readiness: [CoreDbHealthIndicator, MembershipHealthIndicator] }),
      ],
    };
  }
}
