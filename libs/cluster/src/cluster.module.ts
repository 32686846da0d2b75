import { type DynamicModule, type InjectionToken, Module, type Provider, type Type } from '@nestjs/common';
import { ScheduleModule } from '@nestjs/schedule';
import { TerminusModule } from '@nestjs/terminus';
import { CACHE_INVALIDATOR, type CacheInvalidator } from './cache-invalidator.js';
import { ClusterClient } from './cluster-client.js';
import { CLUSTER_OPTIONS, type ClusterOptions } from './cluster-options.js';
import { MembershipHealthIndicator, SchemaHealthIndicator } from './cluster.health.js';
import { CacheFanoutController } from './management/cache-fanout.controller.js';
import { CacheFanout } from './management/cache-fanout.service.js';
import { ClusterMetrics } from './management/cluster.metrics.js';
import { HealthChecker } from './management/health-checker.service.js';
import { ManagementClusterController } from './management/management-cluster.controller.js';
import { NodeRegistry } from './management/node-registry.service.js';
import { SchemaPusher } from './management/schema-pusher.service.js';
import { ClusterSignatureGuard } from './signature.guard.js';
import { CacheInvalidateController } from './worker/cache-invalidate.controller.js';
import { CacheNotifier } from './worker/cache-notifier.service.js';
import { NodeStateService } from './worker/node-state.service.js';
import { RegistrationService } from './worker/registration.service.js';
import { DefinitionsApplier, SCHEMA_APPLIER, type SchemaApplier } from './worker/schema-applier.js';
import { SchemaSyncService } from './worker/schema-sync.service.js';
import { WorkerClusterController } from './worker/worker-cluster.controller.js';

export interface ClusterModuleOptions extends ClusterOptions {
  /** Worker: builds the served schema from definitions (the engine, later); default keeps the definitions. */
  applier?: Type<SchemaApplier>;
  /**
   * Worker: the provider that drops cached entries when management fans an invalidation out
   * (an existing provider, e.g. the cache service exported by a global cache module; it is
   * aliased, not instantiated again). Without it the endpoint answers `{ dropped: 0 }`.
   */
  cacheInvalidator?: Type<CacheInvalidator> | InjectionToken<CacheInvalidator>;
}

/**
 * The node-to-node protocol. Roles differ by the providers loaded here:
 * management gets the registry, health checks, schema pushes and the cache fan-out; a worker gets
 * sync, state, the cache-invalidation endpoint and notifier and, when clustered, registration.
 */
@Module({})
export class ClusterModule {
  static forRoot(options: ClusterModuleOptions): DynamicModule {
    const common: Provider[] = [
      { provide: CLUSTER_OPTIONS, useValue: options },
      { provide: ClusterClient, useFactory: () => new ClusterClient(options.secret ?? '', options.nodeName) },
      ClusterSignatureGuard,
      MembershipHealthIndicator,
    ];
    if (options.role === 'management') {
      return {
        module: ClusterModule,
        global: true,
        imports: [ScheduleModule.forRoot(), TerminusModule],
        controllers: [ManagementClusterController, CacheFanoutController],
        providers: [...common, ClusterMetrics, NodeRegistry, SchemaPusher, CacheFanout, HealthChecker],
        exports: [
          NodeRegistry,
          SchemaPusher,
          CacheFanout,
          HealthChecker,
          MembershipHealthIndicator,
          CLUSTER_OPTIONS,
          ClusterClient,
          ClusterSignatureGuard,
        ],
      };
    }
    const clustered = options.managementUrl !== undefined;
    const invalidator: Provider[] = options.cacheInvalidator
      ? [{ provide: CACHE_INVALIDATOR, useExisting: options.cacheInvalidator }]
      : [];
    return {
      module: ClusterModule,
      global: true,
      imports: [ScheduleModule.forRoot(), TerminusModule],
      controllers: [WorkerClusterController, CacheInvalidateController],
      providers: [
        ...common,
        ...invalidator,
        NodeStateService,
        SchemaSyncService,
        CacheNotifier,
        SchemaHealthIndicator,
        { provide: SCHEMA_APPLIER, useClass: options.applier ?? DefinitionsApplier },
        ...(clustered ? [RegistrationService] : []),
      ],
      exports: [
        NodeStateService,
        SchemaSyncService,
        CacheNotifier,
        SchemaHealthIndicator,
        MembershipHealthIndicator,
        CLUSTER_OPTIONS,
        ClusterClient,
        ClusterSignatureGuard,
        ...(clustered ? [RegistrationService] : []),
      ],
    };
  }
}
