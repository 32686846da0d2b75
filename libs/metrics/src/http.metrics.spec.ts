import type { HttpAdapterHost } from '@nestjs/core';
import Fastify from 'fastify';
import { HttpMetrics, methodOf, routeOf, statusClassOf } from './http.metrics.js';
import { MetricsService } from './metrics.service.js';

describe('HTTP labels', () => {
  it('maps every path to one of a fixed set of routes', () => {
    expect(routeOf('/query')).toBe('/query');
    expect(routeOf('/query?query=%7B%20x%20%7D')).toBe('/query');
    expect(routeOf('/graphql')).toBe('/graphql');
    expect(routeOf('/metrics')).toBe('/metrics');
    expect(routeOf('/health')).toBe('/health');
    expect(routeOf('/health/ready')).toBe('/health');
    expect(routeOf('/cluster/v1/nodes/w1/heartbeat')).toBe('/cluster/v1');
    expect(routeOf('/admin/assets/app.js')).toBe('/admin');
    expect(routeOf('/query/extra')).toBe('other');
    expect(routeOf('/healthz')).toBe('other');
    expect(routeOf('/wp-login.php')).toBe('other');
  });

  it('bounds methods and status codes', () => {
    expect(methodOf('POST')).toBe('POST');
    expect(methodOf('PROPFIND')).toBe('OTHER');
    expect(statusClassOf(200)).toBe('2xx');
    expect(statusClassOf(401)).toBe('4xx');
    expect(statusClassOf(503)).toBe('5xx');
  });
});

describe('HttpMetrics on Fastify', () => {
  it('counts and times every answered request, routes registered before the hook included', async () => {
    const fastify = Fastify();
    fastify.get('/query', async () => ({ data: {} }));
    const metrics = new MetricsService();
    const host = { httpAdapter: { getInstance: () => fastify } } as unknown as HttpAdapterHost;
    new HttpMetrics(metrics, host).onModuleInit();
    const base = await fastify.listen({ port: 0, host: '127.0.0.1' });
    try {
      for (const path of ['/query?query=x', '/query', '/nowhere/secret-path'])
        await (await fetch(base + path)).text();
      // onResponse runs once the answer is sent, which may be just after the client has it.
      await new Promise((r) => setTimeout(r, 50));
    } finally {
      await fastify.close();
    }
    const text = await metrics.scrape();
    expect(text).toContain('muninn_http_requests_total{route="/query",method="GET",status="2xx"} 2');
    expect(text).toContain('muninn_http_requests_total{route="other",method="GET",status="4xx"} 1');
    expect(text).toContain(
      'muninn_http_request_duration_seconds_count{route="/query",method="GET",status="2xx"} 2',
    );
    expect(text).not.toContain('secret-path');
  });

  it('does nothing without an HTTP server (application context)', () => {
    const host = { httpAdapter: undefined } as unknown as HttpAdapterHost;
    expect(() => new HttpMetrics(new MetricsService(), host).onModuleInit()).not.toThrow();
  });
});
