/** Prometheus metrics (SPEC §10): `/metrics`, the per-app registry, HTTP and process metrics. */
export * from './metrics.service.js';
export * from './metrics.module.js';
export { RequestCounter, RequestHistogram } from './request-metrics.js';
export { LATENCY_BUCKETS, methodOf, routeOf, statusClassOf } from './http.metrics.js';
export type { Counter, Gauge, Histogram } from 'prom-client';
