import { type DefinitionsSnapshot, servedDataSources } from '@app/core-db';
import type { SourceStatus } from '../protocol.js';

/** What a node serves after applying a version; the engine's compiled schema replaces `payload`. */
export interface AppliedSchema<T = unknown> {
  version: number;
  appliedAt: Date;
  sources: SourceStatus[];
  payload: T;
}

/**
 * Builds what a node serves from the definitions of one version. It must not touch the schema
 * currently served: the sync service swaps the result in one step when it is complete.
 */
export interface SchemaApplier<T = unknown> {
  build(snapshot: DefinitionsSnapshot): Promise<{ payload: T; sources: SourceStatus[] }>;
  /** Called after the swap with the schema that was replaced, e.g. to close its pools. */
  release?(previous: AppliedSchema<T>): Promise<void>;
}

export const SCHEMA_APPLIER = Symbol('SCHEMA_APPLIER');

/** Until the engine plugs in: the served "schema" is the set of loaded, enabled definitions. */
export class DefinitionsApplier implements SchemaApplier<DefinitionsSnapshot> {
  async build(snapshot: DefinitionsSnapshot) {
    const active = servedDataSources(snapshot);
    return { payload: snapshot, sources: active.map((ds) => ({ name: ds.name, ok: true })) };
  }
}
