import { KeyvMemcache } from '@keyv/memcache';
import { createCache } from 'cache-manager';
import { Keyv, type StoredData } from 'keyv';
import {
  formatAddress,
  type L2Connection,
  type L2ConnectionOptions,
  type L2Value,
  parseAddress,
} from './l2-connection.js';

const DEFAULT_PORT = 11211;
const PROBE_KEY = 'muninn:probe';
/** Memcached's default item size is 1 MiB including key and item header. */
const MAX_ITEM_BYTES = 1024 * 1024 - 4096;
/** Memcached reads an expiry above 30 days as a Unix timestamp. */
const MAX_TTL_S = 30 * 24 * 3600;

/**
 * `@keyv/memcache` with three corrections the two-level cache depends on:
 * - a read error rejects (the adapter's `getMany` turns errors into misses, which would hide an
 *   outage);
 * - a miss is `undefined` and a hit the raw string, so Keyv deserialises both paths alike (the
 *   adapter returns `{ value: undefined, expires: 0 }` for a miss, which Keyv takes for an expired
 *   entry and deletes, and parsed objects that `getManyRaw` drops);
 * - a TTL under one second is rounded up instead of down to 0 (= never expires);
 * - an entry over the item size limit is left uncached, not reported as a failure.
 */
class StrictKeyvMemcache extends KeyvMemcache {
  override async get<Value>(key: string): Promise<StoredData<Value>> {
    const data: unknown = await super.get<Value>(key);
    return (typeof data === 'string' ? data : undefined) as StoredData<Value>;
  }

  override async getMany<Value>(keys: string[]): Promise<StoredData<Value>[]> {
    return Promise.all(keys.map((key) => this.get<Value>(key)));
  }

  override async set(key: string, value: unknown, ttl?: number): Promise<void> {
    const seconds = ttl && ttl > 0 ? Math.min(Math.ceil(ttl / 1000), MAX_TTL_S) : undefined;
    try {
      await super.set(key, value, seconds === undefined ? undefined : seconds * 1000);
    } catch (err) {
      // The server answered: the entry is just not cached. Not an outage.
      if ((err as Error).message?.includes('Value too large')) return;
      throw err;
    }
  }
}

/** Memcached (one or several sharded servers) through `@keyv/memcache` / memjs. No pub/sub. */
export class MemcachedConnection implements L2Connection {
  readonly backend = 'memcached' as const;
  readonly description: string;
  readonly keyv: Keyv<L2Value>;
  readonly manager;
  readonly maxValueBytes = MAX_ITEM_BYTES;
  readonly pubsub = false;

  private readonly store: StrictKeyvMemcache;

  constructor(options: L2ConnectionOptions) {
    const servers = options.addresses.map((a) => formatAddress(parseAddress(a, DEFAULT_PORT)));
    if (servers.length === 0) throw new Error('memcached L2 cache: no address');
    this.description = `memcached ${servers.join(', ')}`;
    this.store = new StrictKeyvMemcache(servers.join(','), {
      username: options.username || undefined,
      password: options.password || undefined,
      timeout: options.timeoutMs / 1000,
      conntimeout: Math.max(1, (options.timeoutMs * 4) / 1000),
      retries: 1, // memjs counts the first attempt: no retry, the caller's timeout decides
      keepAlive: true,
      logger: { log: () => undefined }, // memjs logs to the console by default; outages are logged once upstream
      deserialize: (raw: Buffer) => raw.toString('utf8'),
    });
    this.store.on('error', () => undefined);
    this.keyv = new Keyv<L2Value>({
      store: this.store,
      namespace: undefined,
      useKeyPrefix: false,
      throwOnErrors: true,
    });
    this.keyv.on('error', () => undefined);
    this.manager = createCache({ stores: [this.keyv] });
  }

  async connect(): Promise<void> {
    await this.ping();
  }

  isServerReply(err: unknown): boolean {
    // memjs reports a non-zero response status as "MemJS <OP>: <status>"; socket errors differ.
    return err instanceof Error && /^MemJS [A-Z]+: /.test(err.message);
  }

  async ping(): Promise<void> {
    await this.keyv.get(PROBE_KEY);
  }

  publish(): Promise<void> {
    return Promise.resolve();
  }

  subscribe(): void {
    // memcached has no pub/sub: cluster-wide L1 invalidation relies on the management fan-out.
  }

  async close(): Promise<void> {
    this.store.client.close();
  }
}
