import { MetricsService } from './metrics.service.js';

describe('MetricsService', () => {
  it('keeps each app in its own registry and returns the existing metric for a repeated name', async () => {
    const a = new MetricsService();
    const b = new MetricsService();
    const first = a.counter({ name: 'muninn_test_total', help: 'h' });
    const again = a.counter({ name: 'muninn_test_total', help: 'h' });
    expect(again).toBe(first);
    first.inc(3);
    b.counter({ name: 'muninn_test_total', help: 'h' }).inc(1);
    expect(await a.scrape()).toContain('muninn_test_total 3');
    expect(await b.scrape()).toContain('muninn_test_total 1');
  });

  it('refuses a name without the muninn_ prefix', () => {
    expect(() => new MetricsService().gauge({ name: 'queue_depth', help: 'h' })).toThrow(/muninn_/);
  });

  it('reads sampled gauges at scrape time; label sets that vanish are dropped', async () => {
    const m = new MetricsService();
    let samples = [
      { labels: { source: 'a' }, value: 1 },
      { labels: { source: 'b' }, value: 2 },
    ];
    m.sampledGauge({ name: 'muninn_test_pool', help: 'h', labelNames: ['source'] }, () => samples);
    expect(await m.scrape()).toMatch(/muninn_test_pool\{source="a"\} 1\n.*source="b"\} 2/);
    samples = [{ labels: { source: 'b' }, value: 5 }];
    const text = await m.scrape();
    expect(text).not.toContain('source="a"');
    expect(text).toContain('muninn_test_pool{source="b"} 5');
  });

  it('leaves out an unlabelled sampled metric that has no value (rather than reporting 0)', async () => {
    const m = new MetricsService();
    const l2: { up?: number } = {};
    m.sampledGauge({ name: 'muninn_test_up', help: 'h' }, () =>
      l2.up === undefined ? [] : [{ value: l2.up }],
    );
    expect(await m.scrape()).not.toMatch(/^muninn_test_up /m);
    l2.up = 0;
    expect(await m.scrape()).toMatch(/^muninn_test_up 0$/m);
  });

  it('mirrors external totals in sampled counters', async () => {
    const m = new MetricsService();
    let hits = 4;
    m.sampledCounter({ name: 'muninn_test_hits_total', help: 'h' }, () => [{ value: hits }]);
    expect(await m.scrape()).toMatch(/^muninn_test_hits_total 4$/m);
    hits = 9;
    expect(await m.scrape()).toMatch(/^muninn_test_hits_total 9$/m);
  });

  it('does not fail the scrape when one sampled metric cannot be read', async () => {
    const m = new MetricsService();
    m.sampledGauge({ name: 'muninn_test_broken', help: 'h' }, async () => {
      throw new Error('core DB down');
    });
    m.counter({ name: 'muninn_test_ok_total', help: 'h' }).inc();
    const text = await m.scrape();
    expect(text).toContain('muninn_test_ok_total 1');
    expect(text).not.toMatch(/^muninn_test_broken /m);
  });
});
