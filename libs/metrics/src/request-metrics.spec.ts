import { Counter, Histogram, Registry } from 'prom-client';
import { MetricsService } from './metrics.service.js';

const BUCKETS = [0.001, 0.01, 0.1, 1];

describe('request metrics', () => {
  it('read out exactly like prom-client counters and histograms fed the same observations', async () => {
    const ours = new MetricsService();
    const counter = ours.requestCounter({ name: 'muninn_t_total', help: 'h c', labelNames: ['a', 'b'] });
    const histogram = ours.requestHistogram({
      name: 'muninn_t_seconds',
      help: 'h h',
      labelNames: ['a', 'b'],
      buckets: BUCKETS,
    });
    const reference = new Registry();
    const refCounter = new Counter({
      name: 'muninn_t_total',
      help: 'h c',
      labelNames: ['a', 'b'],
      registers: [reference],
    });
    const refHistogram = new Histogram({
      name: 'muninn_t_seconds',
      help: 'h h',
      labelNames: ['a', 'b'],
      buckets: BUCKETS,
      registers: [reference],
    });
    const observations: Array<[string, string, number]> = [
      ['x', 'ok', 0.0005],
      ['x', 'ok', 0.001], // on a bound: that bucket
      ['x', 'ok', 0.5],
      ['y', 'errors', 7], // above every bound: +Inf only
      ['x', 'ok', 0],
    ];
    for (const [a, b, v] of observations) {
      counter.inc([a, b]);
      histogram.observe([a, b], v);
      refCounter.inc({ a, b });
      refHistogram.observe({ a, b }, v);
    }
    counter.inc(['y', 'errors'], 4);
    refCounter.inc({ a: 'y', b: 'errors' }, 4);
    expect(await ours.scrape()).toBe(await reference.metrics());
  });

  it('returns the registered metric for a repeated name, and refuses wrong label counts and non-finite values', () => {
    const m = new MetricsService();
    const h = m.requestHistogram({
      name: 'muninn_t2_seconds',
      help: 'h',
      labelNames: ['a'],
      buckets: BUCKETS,
    });
    expect(
      m.requestHistogram({ name: 'muninn_t2_seconds', help: 'h', labelNames: ['a'], buckets: BUCKETS }),
    ).toBe(h);
    expect(() => h.observe(['a', 'b'], 1)).toThrow(/expected labels a/);
    expect(() => h.observe(['a'], Number.NaN)).toThrow(/not a finite number/);
    expect(() =>
      m.requestHistogram({ name: 'muninn_t3_seconds', help: 'h', labelNames: [], buckets: [1, 1] }),
    ).toThrow(/increase/);
  });

  it('empties on registry reset', async () => {
    const m = new MetricsService();
    const c = m.requestCounter({ name: 'muninn_t4_total', help: 'h', labelNames: ['a'] });
    c.inc(['a']);
    expect(await m.scrape()).toContain('muninn_t4_total{a="a"} 1');
    m.registry.resetMetrics();
    expect(await m.scrape()).not.toContain('muninn_t4_total{a="a"}');
  });
});
