import { Inject, Injectable, Optional } from '@nestjs/common';
import { HealthIndicatorService } from '@nestjs/terminus';
import { NodeRegistry } from './management/node-registry.service.js';
import { NodeStateService } from './worker/node-state.service.js';
import { RegistrationService } from './worker/registration.service.js';
import { SchemaSyncService } from './worker/schema-sync.service.js';

/** Worker: up once a schema version is applied and while not draining. */
@Injectable()
export class SchemaHealthIndicator {
  constructor(
    private readonly health: HealthIndicatorService,
    @Inject(NodeStateService) private readonly state: NodeStateService,
    @Inject(SchemaSyncService) private readonly sync: SchemaSyncService,
  ) {}

  isHealthy(key = 'schema') {
    const indicator = this.health.check(key);
    const details = {
      state: this.state.state,
      schemaVersion: this.sync.appliedVersion,
      sources: this.sync.current?.sources ?? [],
    };
    return this.state.state === 'ready' ? indicator.up(details) : indicator.down(details);
  }
}

/**
 * Cluster membership, for the details of readiness. Always up: a work node serves whether or
 * not management answers (SPEC §9.2); management counts nodes by status.
 */
@Injectable()
export class MembershipHealthIndicator {
  constructor(
    private readonly health: HealthIndicatorService,
    @Optional() @Inject(RegistrationService) private readonly registration?: RegistrationService,
    @Optional() @Inject(NodeRegistry) private readonly registry?: NodeRegistry,
  ) {}

  async isHealthy(key = 'cluster') {
    const indicator = this.health.check(key);
    if (this.registry) {
      const nodes = await this.registry.list();
      const byStatus: Record<string, number> = {};
      for (const n of nodes) byStatus[n.status] = (byStatus[n.status] ?? 0) + 1;
      return indicator.up({ role: 'management', nodes: nodes.length, ...byStatus });
    }
    if (this.registration) {
      const s = this.registration.status;
      return indicator.up({ mode: 'cluster', registered: s.registered, lastError: s.lastError ?? null });
    }
    return indicator.up({ mode: 'standalone' });
  }
}
