import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import type { MuninnConfig, NodeRole } from './muninn-config.js';
import {
  ValueError,
  parseAddressList,
  parseBind,
  parseBool,
  parseCoreDbPath,
  parseDuration,
  parseEnum,
  parseHttpUrl,
  parseInteger,
} from './parsers.js';
import { KNOWN_NAMES, VARIABLES, WATCHED_PREFIXES, variable } from './variables.js';

export type Env = Record<string, string | undefined>;

/** Thrown when the environment is invalid; `problems` lists every bad variable. */
export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(
      `Invalid configuration (${problems.length} problem${problems.length === 1 ? '' : 's'}):\n  - ${problems.join('\n  - ')}`,
    );
    this.name = 'ConfigError';
  }
}

export interface LoadedConfig {
  config: MuninnConfig;
  warnings: string[];
}

/** Reads variables, remembering every failure instead of stopping at the first. */
class Reader {
  readonly problems: string[] = [];
  constructor(
    private readonly env: Env,
    private readonly role: NodeRole,
  ) {}

  raw(name: string): string | undefined {
    const value = this.env[name];
    return value === undefined || value.trim() === '' ? undefined : value;
  }

  get<T>(name: string, parse: (raw: string) => T, fallback?: string): T {
    const spec = variable(name);
    const raw = this.raw(name) ?? fallback ?? spec.default;
    if (raw === undefined) throw new Error(`${name} has no default; use optional()`);
    return this.parse(name, raw, parse) as T;
  }

  optional<T>(name: string, parse: (raw: string) => T): T | undefined {
    const raw = this.raw(name);
    return raw === undefined ? undefined : this.parse(name, raw, parse);
  }

  fail(name: string, why: string): void {
    this.problems.push(`${name}: ${why}`);
  }

  private parse<T>(name: string, raw: string, parse: (raw: string) => T): T | undefined {
    try {
      return parse(raw);
    } catch (err) {
      if (!(err instanceof ValueError)) throw err;
      // Secrets are never echoed, even when they are malformed.
      this.fail(name, variable(name).secret ? 'invalid value' : err.message);
      return undefined;
    }
  }
}

const LOG_LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal'] as const;

function positiveDuration(raw: string): number {
  const ms = parseDuration(raw);
  if (ms <= 0) throw new ValueError(`"${raw}" must be greater than zero`);
  return ms;
}

/**
 * Builds the typed configuration of one node role from environment variables.
 * Throws `ConfigError` listing every problem at once.
 */
export function loadConfig(role: NodeRole, env: Env, version = '0.0.0'): LoadedConfig {
  const r = new Reader(env, role);
  const host = r.raw('HOSTNAME') ?? hostname();
  const bind = r.get('BIND', parseBind, role === 'management' ? ':14000' : ':15000');

  const secret = r.raw('CLUSTER_SECRET');
  const managementUrl = role === 'worker' ? r.optional('CLUSTER_MANAGEMENT_URL', parseHttpUrl) : undefined;
  if (role === 'management' && !secret) r.fail('CLUSTER_SECRET', 'is required on the management node');
  if (role === 'worker' && r.raw('CLUSTER_MANAGEMENT_URL') && !secret) {
    r.fail('CLUSTER_SECRET', 'is required when CLUSTER_MANAGEMENT_URL is set');
  }
  if (secret !== undefined && secret.length < 8) r.fail('CLUSTER_SECRET', 'must be at least 8 characters');

  const nodeName = r.raw('CLUSTER_NODE_NAME') ?? host;
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]{0,126}$/.test(nodeName)) {
    r.fail('CLUSTER_NODE_NAME', `"${nodeName}" must be 1-127 letters, digits, dots, dashes or underscores`);
  }
  const nodeUrl = r.optional('CLUSTER_NODE_URL', parseHttpUrl) ?? `http://${host}:${bind?.port ?? 15000}`;

  const coreDbLocation = r.get('CORE_DB_PATH', parseCoreDbPath);
  const coreDbReadonly = r.get('CORE_DB_READONLY', parseBool);
  if (coreDbReadonly && role === 'management') {
    r.fail('CORE_DB_READONLY', 'cannot be true on the management node: it owns every write to the core DB');
  } else if (coreDbReadonly && coreDbLocation?.kind === 'embedded') {
    r.fail(
      'CORE_DB_READONLY',
      'needs CORE_DB_PATH=postgres://… (an embedded core DB is owned and written by its process)',
    );
  }
  const storageKey = r.raw('STORAGE_ENCRYPTION_KEY');
  if (storageKey !== undefined && storageKey.length < 16)
    r.fail('STORAGE_ENCRYPTION_KEY', 'must be at least 16 characters');

  const l2Enabled = r.get('CACHE_L2_ENABLED', parseBool);
  const l2Addresses = r.optional('CACHE_L2_ADDRESSES', parseAddressList) ?? [];
  if (l2Enabled && !r.raw('CACHE_L2_ADDRESSES')) {
    r.fail('CACHE_L2_ADDRESSES', 'is required when CACHE_L2_ENABLED=true');
  }

  const config: MuninnConfig = {
    role,
    version,
    server: {
      bind,
      bodyLimitBytes: r.get('MAX_BODY_SIZE', (v) => parseInteger(v, 1, 1024)) * 1024 * 1024,
      drainDelayMs: r.get('DRAIN_DELAY', parseDuration),
      drainTimeoutMs: r.get('DRAIN_TIMEOUT', positiveDuration),
    },
    cluster: {
      secret,
      managementUrl,
      nodeName,
      nodeUrl,
      timeoutMs: r.get('CLUSTER_TIMEOUT', positiveDuration),
      heartbeatMs: r.get('CLUSTER_HEARTBEAT', positiveDuration),
      pollIntervalMs: r.get('CLUSTER_POLL_INTERVAL', positiveDuration),
      nodeTimeoutMs: r.get('TIMEOUT', positiveDuration),
      checkIntervalMs: r.get('CHECK', positiveDuration),
      ghostTtlMs: r.get('CLUSTER_GHOST_TTL', positiveDuration),
    },
    coreDb: {
      location: coreDbLocation,
      readonly: coreDbReadonly,
      embeddedPort: r.get('CORE_DB_EMBEDDED_PORT', (v) => parseInteger(v, 0, 65535)),
    },
    cache: {
      ttlMs: r.get('CACHE_TTL', parseDuration),
      l1Enabled: r.get('CACHE_L1_ENABLED', parseBool),
      l1MaxSizeMb: r.get('CACHE_L1_MAX_SIZE', (v) => parseInteger(v, 1, 1024 * 1024)),
      l2Enabled,
      l2Backend: r.get('CACHE_L2_BACKEND', (v) => parseEnum(v, ['redis', 'memcached'] as const)),
      l2Addresses,
      l2Username: r.raw('CACHE_L2_USERNAME'),
      l2Password: r.raw('CACHE_L2_PASSWORD'),
      l2Database: r.get('CACHE_L2_DATABASE', (v) => parseInteger(v, 0, 1024)),
    },
    storage: {
      encryptionKey: storageKey ?? secret,
      // Per node by default: two local nodes never share (and evict from) one directory.
      cacheDir: r.raw('STORAGE_CACHE_DIR') ?? join(tmpdir(), 'muninn-objects', nodeName),
      cacheMaxSizeMb: r.get('STORAGE_CACHE_MAX_SIZE', (v) => parseInteger(v, 1, 1024 * 1024)),
      revalidateMs: r.get('STORAGE_CACHE_REVALIDATE', parseDuration),
    },
    auth: {
      allowedAnonymous: r.get('ALLOWED_ANONYMOUS', parseBool),
      anonymousRole: r.get('ANONYMOUS_ROLE', (v) => v.trim()),
      secretKey: r.raw('SECRET_KEY'),
      allowManagedApiKeys: r.get('ALLOW_MANAGED_API_KEYS', parseBool),
      authConfigFile: r.raw('AUTH_CONFIG_FILE'),
      oidc: {
        issuer: r.optional('OIDC_ISSUER', parseHttpUrl),
        clientId: r.raw('OIDC_CLIENT_ID'),
        cookieName: r.raw('OIDC_COOKIE_NAME'),
        usernameClaim: r.get('OIDC_USERNAME_CLAIM', (v) => v.trim()),
        userIdClaim: r.get('OIDC_USERID_CLAIM', (v) => v.trim()),
        roleClaim: r.get('OIDC_ROLE_CLAIM', (v) => v.trim()),
      },
    },
    engine: {
      maxDepth: r.get('MAX_DEPTH', (v) => parseInteger(v, 1, 100)),
      maxRootFields: r.get('MAX_ROOT_FIELDS', (v) => parseInteger(v, 0, 100_000)),
      defaultLimit: r.get('DEFAULT_LIMIT', (v) => parseInteger(v, 1, 1_000_000)),
      statementTimeoutMs: r.get('STATEMENT_TIMEOUT', positiveDuration),
      poolSize: r.get('DATA_SOURCE_POOL_SIZE', (v) => parseInteger(v, 1, 1000)),
      sourceEnv: { ...env },
    },
    log: {
      level: r.get('LOG_LEVEL', (v) => parseEnum(v, LOG_LEVELS)),
      format: r.get('LOG_FORMAT', (v) => parseEnum(v, ['json', 'text'] as const)),
    },
    adminUi: r.get('ADMIN_UI', parseBool),
  };

  if (r.problems.length > 0) throw new ConfigError(r.problems);
  return { config, warnings: unknownVariableWarnings(env, role) };
}

/** Warn about `CLUSTER_*`, `CACHE_*`, `CORE_DB_*` names we do not know, naming the closest known one. */
export function unknownVariableWarnings(env: Env, role: NodeRole): string[] {
  const warnings: string[] = [];
  for (const name of Object.keys(env).sort()) {
    if (KNOWN_NAMES.has(name) || !WATCHED_PREFIXES.some((p) => name.startsWith(p))) continue;
    const candidates = VARIABLES.filter((v) => v.roles.includes(role)).map((v) => v.name);
    const closest = candidates.reduce(
      (best, c) => {
        const d = editDistance(name, c);
        return d < best.d ? { name: c, d } : best;
      },
      { name: candidates[0], d: Infinity },
    );
    warnings.push(`unknown variable ${name} is ignored; did you mean ${closest.name}?`);
  }
  return warnings;
}

function editDistance(a: string, b: string): number {
  const prev = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let diag = prev[0];
    prev[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const up = prev[j];
      prev[j] = Math.min(prev[j] + 1, prev[j - 1] + 1, diag + (a[i - 1] === b[j - 1] ? 0 : 1));
      diag = up;
    }
  }
  return prev[b.length];
}
