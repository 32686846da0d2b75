import type { NodeRole } from './muninn-config.js';

export interface VariableSpec {
  name: string;
  roles: readonly NodeRole[];
  /** Default as the operator would write it; undefined = no default. */
  default?: string;
  /** Never echo the value in messages. */
  secret?: boolean;
  description: string;
}

const BOTH: readonly NodeRole[] = ['management', 'worker'];
const MGMT: readonly NodeRole[] = ['management'];
const WORKER: readonly NodeRole[] = ['worker'];

/**
 * Every environment variable Muninn reads. The loader, the unknown-variable warning,
 * docs/configuration.md and the deployment checks all start from this table.
 */
export const VARIABLES: readonly VariableSpec[] = [
  { name: 'BIND', roles: BOTH, description: 'Listen address, `:14000` (management) / `:15000` (worker).' },
  {
    name: 'CLUSTER_SECRET',
    roles: BOTH,
    secret: true,
    description:
      'Shared secret signing node-to-node requests. Required on management and on clustered workers.',
  },
  {
    name: 'TIMEOUT',
    roles: MGMT,
    default: '30s',
    description: 'Timeout of one request from management to a node.',
  },
  {
    name: 'CHECK',
    roles: MGMT,
    default: '1m',
    description: 'Interval of the health check of each work node.',
  },
  {
    name: 'CLUSTER_GHOST_TTL',
    roles: MGMT,
    default: '10m',
    description: 'A node unhealthy this long is removed from the registry.',
  },
  {
    name: 'CLUSTER_MANAGEMENT_URL',
    roles: WORKER,
    description: 'Management URL, e.g. `http://management:14000`; empty = standalone.',
  },
  { name: 'CLUSTER_NODE_NAME', roles: WORKER, description: 'Unique node name (default: the hostname).' },
  {
    name: 'CLUSTER_NODE_URL',
    roles: WORKER,
    description: 'URL at which management reaches this node (default `http://<hostname>:<port>`).',
  },
  {
    name: 'CLUSTER_TIMEOUT',
    roles: WORKER,
    default: '5s',
    description: 'Timeout of one request from this node to management.',
  },
  { name: 'CLUSTER_HEARTBEAT', roles: WORKER, default: '30s', description: 'Heartbeat interval.' },
  {
    name: 'CLUSTER_POLL_INTERVAL',
    roles: WORKER,
    default: '30s',
    description: 'Interval of the schema-version poll of the core DB.',
  },
  {
    name: 'CORE_DB_PATH',
    roles: BOTH,
    default: '.muninn/core-db',
    secret: true,
    description: '`postgres://…` (cluster) or a directory for the embedded PGlite core DB.',
  },
  {
    name: 'CORE_DB_READONLY',
    roles: BOTH,
    default: 'false',
    description: 'Open the core DB read-only; the node never writes to it.',
  },
  {
    name: 'CORE_DB_EMBEDDED_PORT',
    roles: BOTH,
    default: '0',
    description:
      'Embedded mode only: loopback port on which the owning process shares its core DB with local nodes (0 = a free port).',
  },
  {
    name: 'CACHE_TTL',
    roles: BOTH,
    default: '0',
    description: 'Default TTL of cached query results (0 = no default caching).',
  },
  { name: 'CACHE_L1_ENABLED', roles: BOTH, default: 'false', description: 'In-process cache.' },
  { name: 'CACHE_L1_MAX_SIZE', roles: BOTH, default: '512', description: 'L1 bound in MB.' },
  { name: 'CACHE_L2_ENABLED', roles: BOTH, default: 'false', description: 'Shared cache.' },
  { name: 'CACHE_L2_BACKEND', roles: BOTH, default: 'redis', description: '`redis` or `memcached`.' },
  {
    name: 'CACHE_L2_ADDRESSES',
    roles: BOTH,
    description: 'Comma list of `host:port`; required when L2 is enabled.',
  },
  { name: 'CACHE_L2_USERNAME', roles: BOTH, description: 'Redis user.' },
  { name: 'CACHE_L2_PASSWORD', roles: BOTH, secret: true, description: 'Redis password.' },
  { name: 'CACHE_L2_DATABASE', roles: BOTH, default: '0', description: 'Redis database index.' },
  {
    name: 'STORAGE_ENCRYPTION_KEY',
    roles: BOTH,
    secret: true,
    description:
      'Key material (16+ characters) of the AES-256-GCM key that encrypts object-storage credentials in the core DB; equal on every node. Default: derived from `CLUSTER_SECRET`.',
  },
  {
    name: 'STORAGE_CACHE_DIR',
    roles: WORKER,
    description:
      'Directory of the local copies of object-storage files (default `<tmpdir>/muninn-objects/<node name>`); one process per directory.',
  },
  {
    name: 'STORAGE_CACHE_MAX_SIZE',
    roles: WORKER,
    default: '1024',
    description: 'Bound of the object cache in MB, enforced (least recently used files are deleted).',
  },
  {
    name: 'STORAGE_CACHE_REVALIDATE',
    roles: WORKER,
    default: '0s',
    description:
      'How long a cached object is used without asking the storage for its ETag again (`0s` = a HEAD request on every use).',
  },
  {
    name: 'ALLOWED_ANONYMOUS',
    roles: BOTH,
    default: 'false',
    description: 'Accept requests without credentials.',
  },
  { name: 'ANONYMOUS_ROLE', roles: BOTH, default: 'public', description: 'Role of anonymous requests.' },
  { name: 'SECRET_KEY', roles: BOTH, secret: true, description: 'Admin key (header `x-hugr-secret-key`).' },
  {
    name: 'ALLOW_MANAGED_API_KEYS',
    roles: BOTH,
    default: 'false',
    description: 'Accept API keys stored in the core DB (header `x-hugr-api-key`).',
  },
  {
    name: 'AUTH_CONFIG_FILE',
    roles: BOTH,
    description: 'JSON/YAML file with static API keys and JWT/OIDC providers.',
  },
  { name: 'OIDC_ISSUER', roles: BOTH, description: 'OIDC issuer URL (seed document).' },
  { name: 'OIDC_CLIENT_ID', roles: BOTH, description: 'OIDC client id.' },
  { name: 'OIDC_COOKIE_NAME', roles: BOTH, description: 'Cookie that carries the OIDC token.' },
  { name: 'OIDC_USERNAME_CLAIM', roles: BOTH, default: 'name', description: 'Claim with the user name.' },
  { name: 'OIDC_USERID_CLAIM', roles: BOTH, default: 'sub', description: 'Claim with the user id.' },
  { name: 'OIDC_ROLE_CLAIM', roles: BOTH, default: 'x-hugr-role', description: 'Claim with the role.' },
  {
    name: 'ADMIN_UI',
    roles: WORKER,
    default: 'true',
    description: 'Serve the GraphiQL admin UI at `/admin`.',
  },
  { name: 'MAX_DEPTH', roles: WORKER, default: '7', description: 'Maximum selection depth of a query.' },
  {
    name: 'MAX_ROOT_FIELDS',
    roles: WORKER,
    default: '500',
    description:
      'Most data fields one request may select at the root (also inside modules): each is one statement. `0`: no limit.',
  },
  {
    name: 'DEFAULT_LIMIT',
    roles: WORKER,
    default: '2000',
    description: 'Rows returned by a list (root or relation) that has no `limit` argument (Hugr: 2000).',
  },
  {
    name: 'STATEMENT_TIMEOUT',
    roles: WORKER,
    default: '30s',
    description: 'Longest a data-source statement may run; longer ones are cancelled and reported.',
  },
  {
    name: 'DATA_SOURCE_POOL_SIZE',
    roles: WORKER,
    default: '10',
    description: 'Connections per data source and node (a bounded `pg` pool per source).',
  },
  { name: 'MAX_BODY_SIZE', roles: BOTH, default: '1', description: 'Largest request body, MB.' },
  {
    name: 'DRAIN_DELAY',
    roles: BOTH,
    default: '1s',
    description: 'After SIGTERM: time the node stays up, not ready, before it stops accepting connections.',
  },
  {
    name: 'DRAIN_TIMEOUT',
    roles: BOTH,
    default: '15s',
    description: 'After SIGTERM: longest wait for in-flight requests.',
  },
  {
    name: 'LOG_LEVEL',
    roles: BOTH,
    default: 'info',
    description: '`trace`, `debug`, `info`, `warn`, `error`, `fatal`.',
  },
  { name: 'LOG_FORMAT', roles: BOTH, default: 'json', description: '`json` or `text`.' },
  {
    name: 'HOSTNAME',
    roles: BOTH,
    description: 'Host name (set by the container runtime); default of the node name and URL.',
  },
];

export const KNOWN_NAMES: ReadonlySet<string> = new Set(VARIABLES.map((v) => v.name));
export const WATCHED_PREFIXES = ['CLUSTER_', 'CACHE_', 'CORE_DB_', 'STORAGE_'] as const;

export function variable(name: string): VariableSpec {
  const spec = VARIABLES.find((v) => v.name === name);
  if (!spec) throw new Error(`unknown variable ${name}`);
  return spec;
}
