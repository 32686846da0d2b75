export const CLUSTER_OPTIONS = Symbol('CLUSTER_OPTIONS');

export interface ClusterOptions {
  role: 'management' | 'worker';
  /** Build version reported to peers. */
  version: string;
  secret: string | undefined;
  nodeName: string;
  nodeUrl: string;
  managementUrl: string | undefined;
  /** Worker → management request timeout. */
  timeoutMs: number;
  heartbeatMs: number;
  pollIntervalMs: number;
  /** Management → node request timeout. */
  nodeTimeoutMs: number;
  checkIntervalMs: number;
  ghostTtlMs: number;
  drainDelayMs: number;
}
