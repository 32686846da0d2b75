import { type BeforeApplicationShutdown, Inject, Injectable } from '@nestjs/common';
import { CLUSTER_OPTIONS, type ClusterOptions } from '../cluster-options.js';
import type { NodeState } from '../protocol.js';

/** Lifecycle of this work node: starting → ready → draining. */
@Injectable()
export class NodeStateService implements BeforeApplicationShutdown {
  readonly startedAt = new Date();
  private draining = false;
  private schemaApplied = false;

  constructor(@Inject(CLUSTER_OPTIONS) private readonly options: ClusterOptions) {}

  /** On shutdown: turn not-ready, then stay up for the drain delay so load balancers notice. */
  async beforeApplicationShutdown(): Promise<void> {
    this.startDraining();
    if (this.options.drainDelayMs > 0)
      await new Promise((resolve) => setTimeout(resolve, this.options.drainDelayMs));
  }

  get state(): NodeState {
    if (this.draining) return 'draining';
    return this.schemaApplied ? 'ready' : 'starting';
  }

  get isDraining(): boolean {
    return this.draining;
  }

  markSchemaApplied(): void {
    this.schemaApplied = true;
  }

  startDraining(): void {
    this.draining = true;
  }
}
