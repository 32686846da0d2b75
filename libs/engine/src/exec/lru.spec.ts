import { Lru } from './lru.js';

describe('Lru', () => {
  it('evicts the least recently used entry past its capacity', () => {
    const lru = new Lru<string, number>(2);
    lru.set('a', 1);
    lru.set('b', 2);
    expect(lru.get('a')).toBe(1); // a is now the most recent
    lru.set('c', 3);
    expect(lru.get('b')).toBeUndefined();
    expect([lru.get('a'), lru.get('c'), lru.size]).toEqual([1, 3, 2]);
  });

  it('repeated hits of the newest entry keep the order right', () => {
    const lru = new Lru<string, number>(2);
    lru.set('a', 1);
    lru.set('b', 2);
    lru.get('b');
    lru.get('b');
    lru.get('a');
    lru.set('c', 3); // b is the least recently used
    expect([lru.get('a'), lru.get('b'), lru.get('c')]).toEqual([1, undefined, 3]);
  });

  it('stays within its total weight, and does not store an entry heavier than the per-entry bound', () => {
    const lru = new Lru<string, string>(1000, { maxWeight: 10, weigh: (k) => k.length, maxEntryWeight: 6 });
    expect(lru.set('aaaa', 'x')).toBe(true);
    expect(lru.set('bbbb', 'y')).toBe(true);
    expect(lru.totalWeight).toBe(8);
    expect(lru.set('cccc', 'z')).toBe(true); // 12 > 10: aaaa leaves
    expect([lru.get('aaaa'), lru.get('bbbb'), lru.get('cccc'), lru.totalWeight]).toEqual([
      undefined,
      'y',
      'z',
      8,
    ]);
    expect(lru.set('ddddddd', 'big')).toBe(false);
    expect(lru.get('ddddddd')).toBeUndefined();
    expect(lru.totalWeight).toBe(8);
    // Replacing an entry counts its weight once.
    lru.set('bbbb', 'y2');
    expect([lru.get('bbbb'), lru.totalWeight, lru.size]).toEqual(['y2', 8, 2]);
  });
});
