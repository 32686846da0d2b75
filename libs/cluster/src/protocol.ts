import { z } from 'zod';

/** Bodies of the `/cluster/v1/*` endpoints. */
export const RegisterRequest = z.object({
  name: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,126}$/),
  url: z.string().url().max(2048),
  version: z.string().max(64),
  startedAt: z.string().datetime(),
  schemaVersion: z.number().int().nonnegative(),
  ready: z.boolean(),
});
export type RegisterRequest = z.infer<typeof RegisterRequest>;

export const HeartbeatRequest = z.object({
  schemaVersion: z.number().int().nonnegative(),
  ready: z.boolean(),
  draining: z.boolean(),
});
export type HeartbeatRequest = z.infer<typeof HeartbeatRequest>;

export const SyncRequest = z.object({ schemaVersion: z.number().int().nonnegative() });
export type SyncRequest = z.infer<typeof SyncRequest>;

export interface SourceStatus {
  name: string;
  ok: boolean;
  error?: string;
}

export interface SyncResponse {
  appliedVersion: number;
  durationMs: number;
  sources: SourceStatus[];
}

export type NodeState = 'starting' | 'ready' | 'draining';

export interface NodeHealthResponse {
  name: string;
  version: string;
  state: NodeState;
  schemaVersion: number;
  startedAt: string;
  sources: SourceStatus[];
}

export interface RegisterResponse {
  schemaVersion: number;
}

export const CLUSTER_PREFIX = '/cluster/v1';

/** Management endpoints through which work nodes forward Hugr `core` module calls (signed). */
export const CORE_PATHS = {
  mutation: `${CLUSTER_PREFIX}/core/mutation`,
  lifecycle: `${CLUSTER_PREFIX}/core/lifecycle`,
} as const;

export const CoreLifecycleRequest = z.object({
  action: z.enum(['load', 'unload', 'reload']),
  name: z.string().min(1).max(128),
});

export const CoreMutationRequest = z.object({
  query: z.string().min(1).max(1_000_000),
  variables: z.record(z.string(), z.unknown()).nullish(),
  operationName: z.string().nullish(),
});

/** The signed cache-invalidation endpoint: on management it fans out, on a work node it drops entries. */
export const CACHE_PATHS = {
  invalidate: `${CLUSTER_PREFIX}/cache/invalidate`,
} as const;

/** `tags` null, absent or empty: invalidate everything. */
export const CacheInvalidateRequest = z.object({
  tags: z.array(z.string().min(1).max(256)).max(1000).nullish(),
});
export type CacheInvalidateRequest = z.infer<typeof CacheInvalidateRequest>;

/** A work node's answer: how many cached entries it dropped. */
export interface CacheInvalidateResponse {
  dropped: number;
}
