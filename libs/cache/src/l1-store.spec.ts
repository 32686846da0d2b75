import { Keyv } from 'keyv';
import { L1_ENTRY_OVERHEAD_BYTES, L1Store } from './l1-store.js';

describe('L1Store', () => {
  it('stays within its byte bound while 10× its size is written, evicting the least recently used', () => {
    const maxBytes = 64 * 1024;
    const l1 = new L1Store(maxBytes);
    const value = 'x'.repeat(1000);
    l1.set('hot', value, 60_000);
    let written = 0;
    for (let i = 0; written < 10 * maxBytes; i++) {
      expect(l1.get('hot')).toBe(value); // read before every write: stays the most recently used
      l1.set(`k${i}`, i % 3 ? value : `é${value}`, 60_000);
      written += value.length;
      expect(l1.bytes).toBeLessThanOrEqual(maxBytes);
    }
    expect(l1.has('hot')).toBe(true);
    expect(l1.has('k0')).toBe(false); // the oldest, never read again
    const perEntry = Buffer.byteLength('k100') + value.length + L1_ENTRY_OVERHEAD_BYTES;
    expect(l1.size).toBeGreaterThanOrEqual(Math.floor(maxBytes / perEntry) - 2);
  });

  it('counts multi-byte characters by their UTF-8 size', () => {
    const l1 = new L1Store(10_000);
    l1.set('k', 'ü'.repeat(100));
    expect(l1.bytes).toBe(1 + 200 + L1_ENTRY_OVERHEAD_BYTES);
  });

  it('does not store an entry larger than the whole bound', () => {
    const l1 = new L1Store(1000);
    l1.set('big', 'small');
    expect(l1.set('big', 'y'.repeat(2000))).toBe(false);
    expect(l1.get('big')).toBeUndefined();
    expect(l1.bytes).toBe(0);
  });

  it('expires entries after their ttl', async () => {
    const l1 = new L1Store(10_000);
    l1.set('short', 'v', 30);
    l1.set('long', 'v', 60_000);
    expect(l1.get('short')).toBe('v');
    const deadline = Date.now() + 2000;
    while (l1.get('short') !== undefined && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
    expect(l1.get('short')).toBeUndefined();
    expect(l1.get('long')).toBe('v');
    expect(l1.size).toBe(1);
  });

  it('drops exactly the entries of a tag and keeps its index consistent', () => {
    const l1 = new L1Store(100_000);
    l1.set('a', '1', 0, ['t1']);
    l1.set('b', '2', 0, ['t1', 't2']);
    l1.set('c', '3', 0, ['t2']);
    l1.set('d', '4');
    expect(l1.dropTags(['t1'])).toBe(2);
    expect([l1.has('a'), l1.has('b'), l1.has('c'), l1.has('d')]).toEqual([false, false, true, true]);
    l1.set('c', '3b', 0, ['t3']); // re-set without t2: t2 must no longer reach it
    expect(l1.dropTags(['t2'])).toBe(0);
    expect(l1.dropTags(['t3', 'unknown'])).toBe(1);
    expect(l1.size).toBe(1);
  });

  it('works as a Keyv store', async () => {
    const keyv = new Keyv<string>({ store: new L1Store(10_000) });
    await keyv.set('k', 'v', 60_000);
    expect(await keyv.get('k')).toBe('v');
    await keyv.delete('k');
    expect(await keyv.get('k')).toBeUndefined();
  });
});
