import { Inject, Injectable, Optional } from '@nestjs/common';
import type { AuthError } from '@app/auth';
import { CACHE, type TwoLevelCache } from '@app/cache';
import { SchemaSyncService } from '@app/cluster';
import { MUNINN_CONFIG, type MuninnConfig } from '@app/config';
import type { Engine } from '@app/engine';
import {
  type Counter,
  LATENCY_BUCKETS,
  MetricsService,
  type RequestCounter,
  type RequestHistogram,
  type Sample,
} from '@app/metrics';
import type { OperationType } from './operation-info.js';

/** Bounded reasons of a refused request; never the message itself (it may name a role). */
export type AuthFailureReason =
  'missing_credentials' | 'secret_key' | 'api_key' | 'token' | 'role' | 'impersonation';

/** Classifies an AuthError by the credential that failed (the messages are the authenticator's). */
export function authFailureReason(err: Pick<AuthError, 'status' | 'message'>): AuthFailureReason {
  const m = err.message;
  if (err.status === 403) return /impersonat/i.test(m) ? 'impersonation' : 'role';
  if (m === 'authentication required') return 'missing_credentials';
  if (/secret key/i.test(m)) return 'secret_key';
  if (/api key/i.test(m)) return 'api_key';
  return 'token';
}

/**
 * The work node's metrics (SPEC §10): GraphQL operations and their execution time, refused
 * requests, and — read at scrape time — the result cache, data-source pools and applied schema.
 */
@Injectable()
export class DataApiMetrics {
  private readonly operations: RequestCounter;
  private readonly execution: RequestHistogram;
  private readonly authFailures: Counter<'status' | 'reason'>;

  constructor(
    @Inject(SchemaSyncService) private readonly sync: SchemaSyncService,
    @Optional() @Inject(MetricsService) private readonly metrics: MetricsService = new MetricsService(),
    @Optional() @Inject(CACHE) cache?: TwoLevelCache,
    @Optional() @Inject(MUNINN_CONFIG) config?: MuninnConfig,
  ) {
    this.operations = metrics.requestCounter({
      name: 'muninn_graphql_operations_total',
      help: 'GraphQL operations executed, by type (query, mutation, unknown: unparsable) and outcome (ok, errors)',
      labelNames: ['type', 'outcome'],
    });
    this.execution = metrics.requestHistogram({
      name: 'muninn_query_duration_seconds',
      help: 'Time inside the engine per operation (parse, plan, database, cache), by type and outcome',
      labelNames: ['type', 'outcome'],
      buckets: LATENCY_BUCKETS,
    });
    this.authFailures = metrics.counter({
      name: 'muninn_auth_failures_total',
      help: 'Data-API requests refused by authentication (401) or role checks (403), by reason class',
      labelNames: ['status', 'reason'],
    });
    this.schemaGauges();
    this.poolGauges(config?.engine.poolSize);
    if (cache) this.cacheMetrics(cache);
  }

  operation(type: OperationType, outcome: 'ok' | 'errors', seconds: number): void {
    const labels = [type, outcome];
    this.operations.inc(labels);
    this.execution.observe(labels, seconds);
  }

  authFailure(err: Pick<AuthError, 'status' | 'message'>): void {
    this.authFailures.inc({ status: String(err.status), reason: authFailureReason(err) });
  }

  private get engine(): Engine | undefined {
    return this.sync.current?.payload as Engine | undefined;
  }

  private schemaGauges(): void {
    this.metrics.sampledGauge(
      { name: 'muninn_schema_version', help: 'Schema version this node serves (0 until the first apply)' },
      () => [{ value: this.sync.appliedVersion }],
    );
    this.metrics.sampledGauge(
      {
        name: 'muninn_datasource_loaded',
        help: 'Per data source of the applied version: 1 served, 0 left out (failed to load on this node)',
        labelNames: ['source'],
      },
      () =>
        (this.sync.current?.sources ?? []).map((s) => ({ labels: { source: s.name }, value: s.ok ? 1 : 0 })),
    );
  }

  private poolGauges(maxPerSource: number | undefined): void {
    type Field = 'total' | 'idle' | 'waiting';
    const perSource = (field: Field) => (): Sample<'source'>[] =>
      Object.entries(this.engine?.poolStats() ?? {}).map(([source, stats]) => ({
        labels: { source },
        value: stats[field],
      }));
    const gauge = (name: string, help: string, field: Field) =>
      this.metrics.sampledGauge({ name, help, labelNames: ['source'] }, perSource(field));
    gauge('muninn_datasource_pool_connections', 'Open connections per data-source pool', 'total');
    gauge('muninn_datasource_pool_idle_connections', 'Idle connections per data-source pool', 'idle');
    gauge(
      'muninn_datasource_pool_waiting_requests',
      'Statements waiting for a free connection, per data-source pool',
      'waiting',
    );
    if (maxPerSource !== undefined)
      this.metrics
        .gauge({
          name: 'muninn_datasource_pool_max_connections',
          help: 'Size limit of each data-source pool (DATA_SOURCE_POOL_SIZE)',
        })
        .set(maxPerSource);
  }

  /** From TwoLevelCache.status() at scrape time: the cache counts, these mirror its totals. */
  private cacheMetrics(cache: TwoLevelCache): void {
    const layerTotals = (pick: 'hits' | 'misses') => (): Sample<'layer'>[] => {
      const { l1, l2, stats } = cache.status();
      const out: Sample<'layer'>[] = [];
      // A lookup goes to L2 only after missing L1; it misses L2 when the loader has to run.
      if (l1.enabled)
        out.push({
          labels: { layer: 'l1' },
          value: pick === 'hits' ? stats.l1Hits : stats.l2Hits + stats.misses,
        });
      if (l2.enabled)
        out.push({ labels: { layer: 'l2' }, value: pick === 'hits' ? stats.l2Hits : stats.misses });
      return out;
    };
    this.metrics.sampledCounter(
      {
        name: 'muninn_cache_hits_total',
        help: 'Result-cache hits, by layer (l1, l2)',
        labelNames: ['layer'],
      },
      layerTotals('hits'),
    );
    this.metrics.sampledCounter(
      {
        name: 'muninn_cache_misses_total',
        help: 'Result-cache misses, by layer (l1, l2); a lookup made while L2 is down counts as an L2 miss',
        labelNames: ['layer'],
      },
      layerTotals('misses'),
    );
    this.metrics.sampledGauge(
      {
        name: 'muninn_cache_l2_up',
        help: '1 when the shared L2 cache answers, 0 while it is down (only with L2)',
      },
      () => {
        const { l2 } = cache.status();
        return l2.enabled ? [{ value: l2.up ? 1 : 0 }] : [];
      },
    );
    this.metrics.sampledCounter(
      { name: 'muninn_cache_l2_errors_total', help: 'Failed or timed-out L2 operations' },
      () => (cache.status().l2.enabled ? [{ value: cache.status().stats.l2Errors }] : []),
    );
    this.metrics.sampledCounter(
      {
        name: 'muninn_cache_invalidations_total',
        help: 'Cache invalidations applied on this node (local and received)',
      },
      () => [{ value: cache.status().stats.invalidations }],
    );
    this.metrics.sampledGauge(
      { name: 'muninn_cache_l1_bytes', help: 'Bytes held by the L1 cache (as it measures entries)' },
      () => (cache.status().l1.enabled ? [{ value: cache.status().l1.bytes }] : []),
    );
    this.metrics.sampledGauge(
      { name: 'muninn_cache_l1_max_bytes', help: 'Bound of the L1 cache (CACHE_L1_MAX_SIZE)' },
      () => (cache.status().l1.enabled ? [{ value: cache.status().l1.maxBytes }] : []),
    );
    this.metrics.sampledGauge({ name: 'muninn_cache_l1_entries', help: 'Entries in the L1 cache' }, () =>
      cache.status().l1.enabled ? [{ value: cache.status().l1.entries }] : [],
    );
  }
}
