import { Injectable } from '@nestjs/common';
import type { NodeState } from '../protocol.js';

/** Lifecycle of this work node: starting → ready → draining. */
@Injectable()
export class NodeStateService {
  readonly startedAt = new Date();
  private draining = false;
  private schemaApplied = false;

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
