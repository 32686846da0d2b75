import { TwoLevelCache } from './two-level-cache.js';

const l1Only = {
  ttlMs: 60_000,
  l1Enabled: true,
  l1MaxSizeMb: 1,
  l2Enabled: false,
  l2Backend: 'redis' as const,
  l2Addresses: [],
  nodeName: 'unit',
};

describe('TwoLevelCache (L1 only)', () => {
  it('runs the loader once for 100 concurrent wraps of one key, then serves from L1', async () => {
    const cache = new TwoLevelCache(l1Only);
    let calls = 0;
    const load = async () => {
      calls++;
      await new Promise((r) => setTimeout(r, 20));
      return { value: 'result', store: true };
    };
    const results = await Promise.all(
      Array.from({ length: 100 }, () => cache.wrap('q', load, { ttlMs: 60_000 })),
    );
    expect(calls).toBe(1);
    expect(new Set(results.map((r) => r.value))).toEqual(new Set(['result']));
    expect(results.every((r) => r.hit === false)).toBe(true);
    expect(await cache.wrap('q', load, { ttlMs: 60_000 })).toEqual({ value: 'result', hit: 'l1' });
    expect(calls).toBe(1);
    expect(cache.status().stats).toMatchObject({ misses: 1, sets: 1, l1Hits: 1 });
  });

  it('does not store what the loader says not to, nor with ttl 0', async () => {
    const cache = new TwoLevelCache(l1Only);
    await cache.wrap('a', async () => ({ value: '1', store: false }), { ttlMs: 60_000 });
    await cache.wrap('b', async () => ({ value: '2', store: true }), { ttlMs: 0 });
    await cache.set('c', '3', { ttlMs: 0 });
    expect(await cache.get('a')).toBeUndefined();
    expect(await cache.get('b')).toBeUndefined();
    expect(await cache.get('c')).toBeUndefined();
  });

  it('passes a loader error to every waiting caller and caches nothing', async () => {
    const cache = new TwoLevelCache(l1Only);
    const load = async (): Promise<{ value: string; store: boolean }> => {
      await new Promise((r) => setTimeout(r, 5));
      throw new Error('db down');
    };
    const results = await Promise.allSettled([1, 2, 3].map(() => cache.wrap('e', load, { ttlMs: 60_000 })));
    expect(results.every((r) => r.status === 'rejected')).toBe(true);
    expect(await cache.get('e')).toBeUndefined();
  });

  it('invalidates L1 entries by tag', async () => {
    const cache = new TwoLevelCache(l1Only);
    await cache.set('orders', 'o', { ttlMs: 60_000, tags: ['orders'] });
    await cache.set('both', 'b', { ttlMs: 60_000, tags: ['orders', 'users'] });
    await cache.set('users', 'u', { ttlMs: 60_000, tags: ['users'] });
    expect(await cache.invalidate(['orders'])).toBe(2);
    expect(await cache.get('orders')).toBeUndefined();
    expect(await cache.get('both')).toBeUndefined();
    expect(await cache.get('users')).toEqual({ value: 'u', hit: 'l1' });
    expect(cache.status().stats.invalidations).toBe(1);
  });

  it('invalidate() without tags drops everything', async () => {
    const cache = new TwoLevelCache(l1Only);
    await cache.set('a', '1', { ttlMs: 60_000, tags: ['t'] });
    await cache.set('b', '2', { ttlMs: 60_000 });
    expect(await cache.invalidate()).toBe(2);
    expect(await cache.invalidate([])).toBe(0);
    expect(cache.status().l1).toMatchObject({ entries: 0, bytes: 0 });
  });

  it('does not put a value loaded across an invalidation of its tag into L1', async () => {
    const cache = new TwoLevelCache(l1Only);
    let release!: () => void;
    const loading = cache.wrap(
      'k',
      async () => {
        await new Promise<void>((r) => (release = r));
        return { value: 'old', store: true };
      },
      { ttlMs: 60_000, tags: ['t'] },
    );
    await new Promise((r) => setImmediate(r));
    await cache.invalidate(['t']);
    release();
    expect((await loading).value).toBe('old');
    expect(await cache.get('k')).toBeUndefined();
  });

  it('expires entries after their ttl', async () => {
    const cache = new TwoLevelCache(l1Only);
    await cache.set('k', 'v', { ttlMs: 30 });
    expect(await cache.get('k')).toEqual({ value: 'v', hit: 'l1' });
    const deadline = Date.now() + 2000;
    while ((await cache.get('k')) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
    expect(await cache.get('k')).toBeUndefined();
  });

  it('with everything disabled, wrap just loads', async () => {
    const cache = new TwoLevelCache({ ...l1Only, l1Enabled: false });
    expect(cache.enabled).toBe(false);
    let calls = 0;
    const load = async () => ({ value: String(++calls), store: true });
    await cache.wrap('k', load, { ttlMs: 60_000 });
    expect(await cache.wrap('k', load, { ttlMs: 60_000 })).toEqual({ value: '2', hit: false });
    expect(cache.status().l1.enabled).toBe(false);
  });
});
