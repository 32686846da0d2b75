/** Limits of an {@link Lru} besides its entry count. */
export interface LruWeights<K> {
  /** The most the entries may weigh together; least recently used entries leave to make room. */
  maxWeight: number;
  /** An entry's weight from its key (e.g. the length of the document it caches). */
  weigh: (key: K) => number;
  /** Heavier entries are not stored at all (they would push out many small ones). */
  maxEntryWeight?: number;
}

/**
 * A small LRU map (Map keeps insertion order; a hit moves the key to the end), bounded by entry
 * count and, optionally, by total weight.
 */
export class Lru<K, V> {
  private readonly map = new Map<K, { value: V; weight: number }>();
  private weight = 0;
  /** The key set or read last: already at the recent end, so a repeated hit moves nothing. */
  private newest: K | undefined;

  constructor(
    private readonly capacity: number,
    private readonly weights?: LruWeights<K>,
  ) {}

  get(key: K): V | undefined {
    const entry = this.map.get(key);
    if (entry === undefined) return undefined;
    if (key !== this.newest) {
      this.map.delete(key);
      this.map.set(key, entry);
      this.newest = key;
    }
    return entry.value;
  }

  /** Stores the entry unless it alone is heavier than `maxEntryWeight`; returns whether it did. */
  set(key: K, value: V): boolean {
    const weight = this.weights ? this.weights.weigh(key) : 0;
    this.delete(key);
    const w = this.weights;
    if (w && (weight > w.maxWeight || (w.maxEntryWeight !== undefined && weight > w.maxEntryWeight)))
      return false;
    this.map.set(key, { value, weight });
    this.weight += weight;
    this.newest = key;
    while (this.map.size > this.capacity || (w && this.weight > w.maxWeight)) {
      const oldest = this.map.keys().next().value as K;
      this.delete(oldest);
    }
    return true;
  }

  get size(): number {
    return this.map.size;
  }

  /** Total weight of the entries held. */
  get totalWeight(): number {
    return this.weight;
  }

  private delete(key: K): void {
    const entry = this.map.get(key);
    if (!entry) return;
    this.map.delete(key);
    this.weight -= entry.weight;
  }
}
