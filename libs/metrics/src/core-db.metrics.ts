import { Inject, Injectable, Optional } from '@nestjs/common';
import { CoreDb } from '@app/core-db';
import { MetricsService, type Sample } from './metrics.service.js';

/** The counters a `pg` Pool keeps (TypeORM's postgres driver holds one as `driver.master`). */
interface PgPoolCounters {
  totalCount: number;
  idleCount: number;
  waitingCount: number;
  options?: { max?: number };
}

function isPool(value: unknown): value is PgPoolCounters {
  return typeof (value as PgPoolCounters | undefined)?.totalCount === 'number';
}

/** Usage of the core-DB connection pool, read from the pool's own counters at scrape time (no query). */
@Injectable()
export class CoreDbMetrics {
  constructor(@Inject(MetricsService) metrics: MetricsService, @Optional() @Inject(CoreDb) coreDb?: CoreDb) {
    if (!coreDb) return;
    const pool = (): PgPoolCounters | undefined => {
      const master: unknown = (coreDb.dataSource.driver as unknown as { master?: unknown }).master;
      return isPool(master) ? master : undefined;
    };
    const gauge = (name: string, help: string, value: (p: PgPoolCounters) => number | undefined) =>
      metrics.sampledGauge({ name, help }, (): Sample[] => {
        const p = pool();
        const v = p && value(p);
        return v === undefined ? [] : [{ value: v }];
      });
    gauge('muninn_core_db_pool_connections', 'Open connections of the core-DB pool', (p) => p.totalCount);
    gauge('muninn_core_db_pool_idle_connections', 'Idle connections of the core-DB pool', (p) => p.idleCount);
    gauge(
      'muninn_core_db_pool_waiting_requests',
      'Core-DB queries waiting for a free connection',
      (p) => p.waitingCount,
    );
    gauge('muninn_core_db_pool_max_connections', 'Size limit of the core-DB pool', (p) => p.options?.max);
  }
}
