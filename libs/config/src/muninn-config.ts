import type { BindAddress } from './parsers.js';

export type NodeRole = 'management' | 'worker';

export type CoreDbLocation = { kind: 'postgres'; url: string } | { kind: 'embedded'; dir: string };

export interface ServerConfig {
  bind: BindAddress;
  /** Largest accepted request body, bytes. */
  bodyLimitBytes: number;
  /** After SIGTERM: how long the node keeps answering (readiness 503) before it stops accepting. */
  drainDelayMs: number;
  /** After SIGTERM: the longest wait for in-flight requests. */
  drainTimeoutMs: number;
}

export interface ClusterConfig {
  secret: string | undefined;
  /** Worker: management URL; undefined = standalone. */
  managementUrl: string | undefined;
  nodeName: string;
  nodeUrl: string;
  /** Worker → management request timeout. */
  timeoutMs: number;
  heartbeatMs: number;
  pollIntervalMs: number;
  /** Management → node request timeout (`TIMEOUT`). */
  nodeTimeoutMs: number;
  /** Management: health-check interval (`CHECK`). */
  checkIntervalMs: number;
  ghostTtlMs: number;
}

export interface CoreDbConfig {
  location: CoreDbLocation;
  readonly: boolean;
  /** Embedded mode: loopback port on which the owning process shares the store (0 = any free port). */
  embeddedPort: number;
}

export interface CacheConfig {
  ttlMs: number;
  l1Enabled: boolean;
  l1MaxSizeMb: number;
  l2Enabled: boolean;
  l2Backend: 'redis' | 'memcached';
  l2Addresses: string[];
  l2Username: string | undefined;
  l2Password: string | undefined;
  l2Database: number;
}

export interface StorageConfig {
  /**
   * Key material of the object-storage credential key (`STORAGE_ENCRYPTION_KEY`, else
   * `CLUSTER_SECRET`); undefined when neither is set (a standalone node without a secret).
   */
  encryptionKey: string | undefined;
  cacheDir: string;
  cacheMaxSizeMb: number;
  /** How long a cached object is used without a new HEAD request (0 = every use). */
  revalidateMs: number;
}

export interface AuthConfig {
  allowedAnonymous: boolean;
  anonymousRole: string;
  secretKey: string | undefined;
  allowManagedApiKeys: boolean;
  authConfigFile: string | undefined;
  oidc: {
    issuer: string | undefined;
    clientId: string | undefined;
    cookieName: string | undefined;
    usernameClaim: string;
    userIdClaim: string;
    roleClaim: string;
  };
}

export interface EngineConfig {
  maxDepth: number;
  /** Data fields (statements) one request may select at the root; 0 = no limit. */
  maxRootFields: number;
  defaultLimit: number;
  statementTimeoutMs: number;
  poolSize: number;
  /** The process environment, for `${ENV}` references in data-source paths (read here, not in libraries). */
  sourceEnv: Record<string, string | undefined>;
}

export interface LogConfig {
  level: 'trace' | 'debug' | 'info' | 'warn' | 'error' | 'fatal';
  format: 'json' | 'text';
}

export interface MuninnConfig {
  role: NodeRole;
  version: string;
  server: ServerConfig;
  cluster: ClusterConfig;
  coreDb: CoreDbConfig;
  cache: CacheConfig;
  storage: StorageConfig;
  auth: AuthConfig;
  engine: EngineConfig;
  log: LogConfig;
  adminUi: boolean;
}
