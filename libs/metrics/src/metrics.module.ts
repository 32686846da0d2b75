import { type DynamicModule, Module } from '@nestjs/common';
import { collectDefaultMetrics } from 'prom-client';
import { CoreDbMetrics } from './core-db.metrics.js';
import { HttpMetrics } from './http.metrics.js';
import { MetricsController } from './metrics.controller.js';
import { METRIC_PREFIX, MetricsService } from './metrics.service.js';

export interface MetricsModuleOptions {
  role: 'management' | 'worker';
  nodeName: string;
  version: string;
}

/**
 * Global: `GET /metrics`, one registry per app (`MetricsService`), process metrics (memory, CPU,
 * event-loop lag), HTTP request metrics and the core-DB pool. Libraries add their own metrics
 * through the injected `MetricsService`.
 */
@Module({})
export class MetricsModule {
  static forRoot(options: MetricsModuleOptions): DynamicModule {
    return {
      module: MetricsModule,
      global: true,
      controllers: [MetricsController],
      providers: [
        {
          provide: MetricsService,
          useFactory: () => {
            const metrics = new MetricsService();
            collectDefaultMetrics({ register: metrics.registry, prefix: METRIC_PREFIX });
            metrics
              .gauge({
                name: 'muninn_build_info',
                help: 'Always 1: the version, role and node name of this process',
                labelNames: ['version', 'role', 'node'],
              })
              .set({ version: options.version, role: options.role, node: options.nodeName }, 1);
            return metrics;
          },
        },
        HttpMetrics,
        CoreDbMetrics,
      ],
      exports: [MetricsService],
    };
  }
}
