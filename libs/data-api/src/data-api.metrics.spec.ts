import type { CacheStatus, TwoLevelCache } from '@app/cache';
import type { SchemaSyncService } from '@app/cluster';
import { MetricsService } from '@app/metrics';
import { DataApiMetrics, authFailureReason } from './data-api.metrics.js';

describe('authFailureReason', () => {
  it('maps the authenticator messages to a fixed set of reasons', () => {
    const r = (status: 401 | 403, message: string) => authFailureReason({ status, message });
    expect(r(401, 'authentication required')).toBe('missing_credentials');
    expect(r(401, 'invalid secret key')).toBe('secret_key');
    expect(r(401, 'secret key authentication is not enabled')).toBe('secret_key');
    expect(r(401, 'invalid API key')).toBe('api_key');
    expect(r(401, 'API key has expired')).toBe('api_key');
    expect(r(401, 'token expired')).toBe('token');
    expect(r(401, 'bearer tokens are not accepted')).toBe('token');
    expect(r(401, 'something new')).toBe('token');
    expect(r(403, 'role "x" does not exist')).toBe('role');
    expect(r(403, 'role x is not allowed to impersonate')).toBe('impersonation');
  });
});

function cacheWith(status: Omit<CacheStatus, 'stats'> & { stats: Partial<CacheStatus['stats']> }) {
  const stats = { l1Hits: 0, l2Hits: 0, misses: 0, sets: 0, invalidations: 0, l2Errors: 0, ...status.stats };
  return { status: () => ({ ...status, stats }) } as unknown as TwoLevelCache;
}

const sync = { appliedVersion: 7, current: undefined } as unknown as SchemaSyncService;
const l1 = { enabled: true, entries: 2, bytes: 300, maxBytes: 1000 };
const l1Off = { enabled: false, entries: 0, bytes: 0, maxBytes: 0 };

describe('DataApiMetrics', () => {
  it('derives hits and misses per layer from the cache totals, and L2 up', async () => {
    const metrics = new MetricsService();
    const cache = cacheWith({
      l1,
      l2: { enabled: true, backend: 'redis', up: false },
      stats: { l1Hits: 5, l2Hits: 3, misses: 2, l2Errors: 4 },
    });
    new DataApiMetrics(sync, metrics, cache);
    const text = await metrics.scrape();
    expect(text).toContain('muninn_cache_hits_total{layer="l1"} 5');
    expect(text).toContain('muninn_cache_misses_total{layer="l1"} 5'); // went on to L2: 3 hits + 2 misses
    expect(text).toContain('muninn_cache_hits_total{layer="l2"} 3');
    expect(text).toContain('muninn_cache_misses_total{layer="l2"} 2');
    expect(text).toMatch(/^muninn_cache_l2_up 0$/m);
    expect(text).toMatch(/^muninn_cache_l2_errors_total 4$/m);
    expect(text).toMatch(/^muninn_schema_version 7$/m);
  });

  it('reports only the layers that are enabled', async () => {
    const metrics = new MetricsService();
    new DataApiMetrics(
      sync,
      metrics,
      cacheWith({ l1: l1Off, l2: { enabled: true, backend: 'memcached', up: true }, stats: { misses: 4 } }),
    );
    const text = await metrics.scrape();
    expect(text).not.toContain('layer="l1"');
    expect(text).toContain('muninn_cache_misses_total{layer="l2"} 4');
    expect(text).toMatch(/^muninn_cache_l2_up 1$/m);
    expect(text).not.toMatch(/^muninn_cache_l1_bytes /m);
  });

  it('counts operations and refusals with bounded labels', async () => {
    const metrics = new MetricsService();
    const m = new DataApiMetrics(sync, metrics);
    m.operation('query', 'ok', 0.002);
    m.operation('mutation', 'errors', 0.01);
    m.authFailure({ status: 403, message: 'role "secret-role-name" does not exist' });
    const text = await metrics.scrape();
    expect(text).toContain('muninn_graphql_operations_total{type="query",outcome="ok"} 1');
    expect(text).toContain('muninn_query_duration_seconds_count{type="mutation",outcome="errors"} 1');
    expect(text).toContain('muninn_auth_failures_total{status="403",reason="role"} 1');
    expect(text).not.toContain('secret-role-name');
  });
});
