import { Inject, Injectable, type OnModuleInit } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { MetricsService } from './metrics.service.js';

/** Seconds; from a cached answer (~1 ms) to the statement timeout range. */
export const LATENCY_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

const METHODS = new Set(['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD', 'OPTIONS']);

/**
 * The route label: one of a fixed set, never the raw path (which carries query strings, node
 * names and anything a client makes up).
 */
export function routeOf(url: string): string {
  const q = url.indexOf('?');
  const path = q < 0 ? url : url.slice(0, q);
  if (path === '/query' || path === '/graphql' || path === '/metrics') return path;
  if (path === '/health' || path.startsWith('/health/')) return '/health';
  if (path.startsWith('/cluster/v1/')) return '/cluster/v1';
  if (path === '/admin' || path.startsWith('/admin/')) return '/admin';
  return 'other';
}

export function methodOf(method: string): string {
  return METHODS.has(method) ? method : 'OTHER';
}

export function statusClassOf(status: number): string {
  return status >= 100 && status < 600 ? `${Math.floor(status / 100)}xx` : 'other';
}

/** Request rate and latency of every HTTP request, by route class, method and status class. */
@Injectable()
export class HttpMetrics implements OnModuleInit {
  private readonly requests;
  private readonly duration;

  constructor(
    @Inject(MetricsService) metrics: MetricsService,
    @Inject(HttpAdapterHost) private readonly adapterHost: HttpAdapterHost,
  ) {
    const labelNames = ['route', 'method', 'status'] as const;
    this.requests = metrics.requestCounter({
      name: 'muninn_http_requests_total',
      help: 'HTTP requests answered, by route class, method and status class',
      labelNames,
    });
    this.duration = metrics.requestHistogram({
      name: 'muninn_http_request_duration_seconds',
      help: 'HTTP request latency (first byte in to last byte out), by route class, method and status class',
      labelNames,
      buckets: LATENCY_BUCKETS,
    });
  }

  /** Fastify's onResponse hook applies to every route, also those Nest registered before it. */
  onModuleInit(): void {
    const adapter = this.adapterHost.httpAdapter;
    if (!adapter) return; // an application context without HTTP (unit tests)
    const fastify = adapter.getInstance<FastifyInstance>();
    fastify.addHook('onResponse', (req: FastifyRequest, reply: FastifyReply, done: () => void) => {
      this.observe(req.url, req.method, reply.statusCode, reply.elapsedTime / 1000);
      done();
    });
  }

  observe(url: string, method: string, status: number, seconds: number): void {
    const labels = [routeOf(url), methodOf(method), statusClassOf(status)];
    this.requests.inc(labels);
    this.duration.observe(labels, seconds);
  }
}
