import type { ClusterNodeEntity, CoreDb } from '@app/core-db';
import { MetricsService } from '@app/metrics';
import { ClusterMetrics } from './cluster.metrics.js';
import type { NodeRegistry } from './node-registry.service.js';

function setup(nodes: Partial<ClusterNodeEntity>[], schemaVersion = 5) {
  const metrics = new MetricsService();
  const registry = { list: async () => nodes } as unknown as NodeRegistry;
  const coreDb = {
    dataSource: { manager: { query: async () => [{ value: String(schemaVersion) }] } },
  } as unknown as CoreDb;
  return { metrics, cluster: new ClusterMetrics(metrics, registry, coreDb) };
}

/** Scrapes after the snapshot of the previous scrape has expired. */
async function freshScrape(metrics: MetricsService): Promise<string> {
  await new Promise((r) => setTimeout(r, 1050));
  return metrics.scrape();
}

describe('ClusterMetrics', () => {
  it('reports nodes by status (every status, zeros included) and per node', async () => {
    const { metrics } = setup([
      { name: 'w1', status: 'HEALTHY', schemaVersion: 5 },
      { name: 'w2', status: 'UNHEALTHY', schemaVersion: 4 },
    ]);
    const text = await metrics.scrape();
    expect(text).toContain('muninn_cluster_nodes{status="HEALTHY"} 1');
    expect(text).toContain('muninn_cluster_nodes{status="UNHEALTHY"} 1');
    expect(text).toContain('muninn_cluster_nodes{status="STARTING"} 0');
    expect(text).toContain('muninn_cluster_nodes{status="DRAINING"} 0');
    expect(text).toContain('muninn_cluster_node_status{node="w2",status="UNHEALTHY"} 1');
    expect(text).toContain('muninn_cluster_node_schema_version{node="w2"} 4');
    expect(text).toMatch(/^muninn_cluster_schema_version 5$/m);
  });

  it('counts pushes, checks and fan-outs, with failures per node', async () => {
    const { metrics, cluster } = setup([{ name: 'w1', status: 'HEALTHY', schemaVersion: 5 }]);
    cluster.pushed('w1', true, 0.02);
    cluster.pushed('w1', false, 1);
    cluster.checked('w1', false, 1);
    cluster.checked('w1', true, 0.003);
    cluster.fannedOut();
    cluster.deliveryFailed('w1');
    const text = await metrics.scrape();
    expect(text).toMatch(/^muninn_schema_pushes_total 2$/m);
    expect(text).toContain('muninn_schema_push_failures_total{node="w1"} 1');
    expect(text).toMatch(/^muninn_schema_push_duration_seconds_count 2$/m);
    expect(text).toContain('muninn_health_check_failures_total{node="w1"} 1');
    expect(text).toMatch(/^muninn_health_check_duration_seconds_count 2$/m);
    expect(text).toMatch(/^muninn_cache_fanouts_total 1$/m);
    expect(text).toContain('muninn_cache_fanout_failures_total{node="w1"} 1');
  });

  it('drops the per-node series of a node that left the registry', async () => {
    const nodes: Partial<ClusterNodeEntity>[] = [
      { name: 'w1', status: 'HEALTHY', schemaVersion: 5 },
      { name: 'gone', status: 'UNHEALTHY', schemaVersion: 3 },
    ];
    const { metrics, cluster } = setup(nodes);
    cluster.checked('gone', false, 1);
    cluster.pushed('gone', false, 1);
    expect(await metrics.scrape()).toContain('muninn_health_check_failures_total{node="gone"} 1');
    nodes.pop();
    // The scrape that reads the new registry drops the series; the next one no longer has them.
    await freshScrape(metrics);
    const text = await metrics.scrape();
    expect(text).not.toContain('node="gone"');
    expect(text).toMatch(/^muninn_schema_pushes_total 1$/m);
  });

  it('keeps the scrape alive when the core DB does not answer', async () => {
    const metrics = new MetricsService();
    const registry = {
      list: () => Promise.reject(new Error('connection refused')),
    } as unknown as NodeRegistry;
    const coreDb = { dataSource: { manager: { query: async () => [] } } } as unknown as CoreDb;
    new ClusterMetrics(metrics, registry, coreDb).fannedOut();
    const text = await metrics.scrape();
    expect(text).toMatch(/^muninn_cache_fanouts_total 1$/m);
    expect(text).not.toMatch(/^muninn_cluster_nodes\{/m);
  });
});
