/** Bytes charged per entry on top of key and value: the Map slot, the entry object, timers' worth of numbers. */
export const L1_ENTRY_OVERHEAD_BYTES = 128;

interface L1Entry {
  value: string;
  /** Epoch ms; Infinity = no expiry. */
  expiresAt: number;
  size: number;
  tags: readonly string[] | undefined;
}

/**
 * In-process LRU bounded by bytes (SPEC §8: the bound is real). An entry costs
 * byteLength(key) + byteLength(value) + byteLength(tags) + a fixed overhead; the least recently
 * used entries are evicted until the total fits, and an entry larger than the whole bound is not
 * stored. A tag → keys index lets invalidation drop exactly the entries of a tag.
 *
 * Keyv-compatible (`get`/`set(key, value, ttlMs)`/`delete`/`clear`/`has`), so it also works as
 * `new Keyv({ store })`; the two-level cache calls it directly to keep the hot path free of
 * serialisation.
 */
export class L1Store {
  /** Set by Keyv when used as its store; the store itself does not prefix. */
  namespace?: string;

  private readonly entries = new Map<string, L1Entry>(); // iteration order = LRU order (oldest first)
  private readonly byTag = new Map<string, Set<string>>();
  private usedBytes = 0;
  /** The key set or read last: already at the most recently used end. */
  private newest: string | undefined;

  constructor(
    readonly maxBytes: number,
    private readonly now: () => number = Date.now,
  ) {}

  get bytes(): number {
    return this.usedBytes;
  }

  get size(): number {
    return this.entries.size;
  }

  get(key: string): string | undefined {
    const entry = this.entries.get(key);
    if (!entry) return undefined;
    if (entry.expiresAt <= this.now()) {
      this.remove(key, entry);
      return undefined;
    }
    // Move to the most recently used end (a repeated hit of the newest entry has nothing to move).
    if (key !== this.newest) {
      this.entries.delete(key);
      this.entries.set(key, entry);
      this.newest = key;
    }
    return entry.value;
  }

  /** Remaining TTL in ms of a live entry (Infinity without expiry), or undefined. */
  ttl(key: string): number | undefined {
    const entry = this.entries.get(key);
    if (!entry) return undefined;
    const left = entry.expiresAt - this.now();
    return left > 0 ? left : undefined;
  }

  has(key: string): boolean {
    const entry = this.entries.get(key);
    if (!entry) return false;
    if (entry.expiresAt <= this.now()) {
      this.remove(key, entry);
      return false;
    }
    return true;
  }

  /**
   * Stores `value` for `ttlMs` (undefined or ≤ 0 = no expiry, as Keyv passes it). Returns false
   * when the entry alone is larger than the bound (then any older entry of the key is dropped too).
   */
  set(key: string, value: string, ttlMs?: number, tags?: readonly string[]): boolean {
    const old = this.entries.get(key);
    if (old) this.remove(key, old);
    let size = Buffer.byteLength(key) + Buffer.byteLength(value) + L1_ENTRY_OVERHEAD_BYTES;
    if (tags) for (const tag of tags) size += Buffer.byteLength(tag) + 8;
    if (size > this.maxBytes) return false;
    const expiresAt = ttlMs !== undefined && ttlMs > 0 ? this.now() + ttlMs : Infinity;
    const entry: L1Entry = { value, expiresAt, size, tags: tags?.length ? tags : undefined };
    this.evictUntilFits(size);
    this.entries.set(key, entry);
    this.newest = key;
    this.usedBytes += size;
    if (entry.tags) {
      for (const tag of entry.tags) {
        let keys = this.byTag.get(tag);
        if (!keys) this.byTag.set(tag, (keys = new Set()));
        keys.add(key);
      }
    }
    return true;
  }

  delete(key: string): boolean {
    const entry = this.entries.get(key);
    if (!entry) return false;
    this.remove(key, entry);
    return true;
  }

  clear(): void {
    this.entries.clear();
    this.byTag.clear();
    this.usedBytes = 0;
  }

  /** Drops every entry that carries at least one of `tags`; returns how many were dropped. */
  dropTags(tags: Iterable<string>): number {
    let dropped = 0;
    for (const tag of tags) {
      const keys = this.byTag.get(tag);
      if (!keys) continue;
      for (const key of [...keys]) {
        if (this.delete(key)) dropped++;
      }
    }
    return dropped;
  }

  private evictUntilFits(incoming: number): void {
    const limit = this.maxBytes - incoming;
    // Least recently used first; an expired entry that nobody reads ages to the front by itself.
    for (const [key, entry] of this.entries) {
      if (this.usedBytes <= limit) break;
      this.remove(key, entry);
    }
  }

  private remove(key: string, entry: L1Entry): void {
    this.entries.delete(key);
    this.usedBytes -= entry.size;
    if (!entry.tags) return;
    for (const tag of entry.tags) {
      const keys = this.byTag.get(tag);
      if (!keys) continue;
      keys.delete(key);
      if (keys.size === 0) this.byTag.delete(tag);
    }
  }
}
