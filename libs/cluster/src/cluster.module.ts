import { type DynamicModule, Module, type Provider, type Type } from '@nestjs/common';
import { ScheduleModule } from '@nestjs/schedule';
import { TerminusModule } from '@nestjs/terminus';
import { ClusterClient } from './cluster-client.js';
import { CLUSTER_OPTIONS, type ClusterOptions } from './cluster-options.js';
import { MembershipHealthIndicator, SchemaHealthIndicator } from './cluster.health.js';
import { HealthChecker } from './management/health-checker.service.js';
import { ManagementClusterController } from './management/management-cluster.controller.js';
import { NodeRegistry } from './management/node-registry.service.js';
import { SchemaPusher } from './management/schema-pusher.service.js';
import { ClusterSignatureGuard } from './signature.guard.js';
import { NodeStateService } from './worker/node-state.service.js';
import { RegistrationService } from './worker/registration.service.js';
import { DefinitionsApplier, SCHEMA_APPLIER, type SchemaApplier } from './worker/schema-applier.js';
import { SchemaSyncService } from './worker/schema-sync.service.js';
import { WorkerClusterController } from './worker/worker-cluster.controller.js';

export interface ClusterModuleOptions extends ClusterOptions {
  /** Worker: builds the served schema from definitions (the engine, later); default keeps the definitions. */
  applier?: Type<SchemaApplier>;
}

/**
 * The node-to-node protocol. Roles differ by the providers loaded here:
 * management gets the registry, health checks and pushes; a worker gets sync, state and,
 * when clustered, registration.
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
        controllers: [ManagementClusterController],
        providers: [...common, NodeRegistry, SchemaPusher, HealthChecker],
        exports: [
          NodeRegistry,
          SchemaPusher,
          HealthChecker,
          MembershipHealthIndicator,
          CLUSTER_OPTIONS,
          ClusterClient,
          ClusterSignatureGuard,
        ],
      };
    }
    const clustered = options.managementUrl !== undefined;
    return {
      module: ClusterModule,
      global: true,
      imports: [ScheduleModule.forRoot(), TerminusModule],
      controllers: [WorkerClusterController],
      providers: [
        ...common,
        NodeStateService,
        SchemaSyncService,
        SchemaHealthIndicator,
        { provide: SCHEMA_APPLIER, useClass: options.applier ?? DefinitionsApplier },
        ...(clustered ? [RegistrationService] : []),
      ],
      exports: [
        NodeStateService,
        SchemaSyncService,
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
