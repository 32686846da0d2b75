import { createHash, randomBytes } from 'node:crypto';
import type {
  CacheHit,
  CacheLogger,
  CacheOptions,
  CacheSetOptions,
  CacheStatus,
  L2Backend,
} from './cache.types.js';
import { L1Store } from './l1-store.js';
import type { L2Connection, L2Record } from './l2-connection.js';
import { MemcachedConnection } from './memcached-connection.js';
import { RedisConnection } from './redis-connection.js';

export const INVALIDATION_CHANNEL = 'muninn:cache:invalidate';
/** The implicit tag of every entry: invalidating it invalidates everything. */
export const ALL_TAG = '$all';
const DEFAULT_L2_TIMEOUT_MS = 250;
const PROBE_INTERVAL_MS = 1000;
/** More tags than this waiting to be replayed after an outage collapse into `$all`. */
const MAX_PENDING_TAGS = 1000;
/** Keys and tags used verbatim in L2 when printable and short (memcached: ≤ 250 bytes, no spaces). */
const VERBATIM_KEY = /^[\x21-\x7e]{1,200}$/;

export interface InvalidationMessage {
  origin: string;
  tags: string[] | null;
}

interface L2Entry {
  value: string;
  tags: string[];
  ttlMs: number | undefined;
}

interface L2Lookup {
  entry?: L2Entry;
  /** Current epochs of the lookup's tags, read before any load: what a later write must carry. */
  epochs?: Map<string, string>;
}

type L2Result<T> = { ok: true; value: T } | { ok: false };

const silentLogger: CacheLogger = { log: () => undefined, warn: () => undefined, error: () => undefined };

function l2Key(kind: 'v' | 'tag', raw: string): string {
  if (VERBATIM_KEY.test(raw)) return `muninn:${kind}:${raw}`;
  return `muninn:${kind}#:${createHash('sha256').update(raw).digest('base64url')}`;
}

function newEpoch(): string {
  return randomBytes(9).toString('base64url');
}

function isRecord(value: unknown): value is L2Record {
  if (typeof value !== 'object' || value === null) return false;
  const { v, e } = value as Partial<L2Record>;
  return typeof v === 'string' && typeof e === 'object' && e !== null;
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  promise.catch(() => undefined); // a late rejection after the timeout is not unhandled
  return Promise.race([
    promise,
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}

/**
 * The two-level result cache of SPEC §8: an in-process LRU (L1) bounded by bytes in front of a
 * shared Redis/Memcached (L2), with tags, single flight, cluster-wide invalidation and an L2 that
 * may go away at any time without an error reaching the caller.
 *
 * L2 tags are epochs: each tag has a random epoch under `muninn:tag:<tag>`; an entry records the
 * epochs of its tags when written and is a miss when any of them has changed since. Invalidation
 * is one write per tag, no key sets, so it works on memcached too.
 */
export class TwoLevelCache {
  private readonly l1: L1Store | undefined;
  private readonly l2: L2Connection | undefined;
  private readonly timeoutMs: number;
  private readonly logger: CacheLogger;
  private readonly backendName: L2Backend;

  private l2Up = false;
  /** Set from the first failure until the backend answers again: the outage is logged once. */
  private inOutage = false;
  private l2Since: Date | undefined;
  private lastError: string | undefined;
  private probeTimer: NodeJS.Timeout | undefined;
  private probing = false;
  private connectStarted = false;
  private closed = false;
  /** Tags invalidated while L2 was away: their epochs are bumped (and published) when it is back. */
  private readonly pendingTags = new Set<string>();

  private readonly flights = new Map<string, Promise<{ value: string; hit: CacheHit }>>();
  /**
   * Invalidation sequence, so that a value read or loaded before an invalidation is not put into
   * L1 after it. Per-tag marks are only kept while some lookup is in progress.
   */
  private seq = 0;
  private allSeq = 0;
  private readonly tagSeq = new Map<string, number>();
  private guards = 0;

  private readonly stats = { l1Hits: 0, l2Hits: 0, misses: 0, sets: 0, invalidations: 0, l2Errors: 0 };

  constructor(
    private readonly options: CacheOptions,
    logger?: CacheLogger,
  ) {
    this.logger = logger ?? silentLogger;
    this.timeoutMs =
      options.l2TimeoutMs && options.l2TimeoutMs > 0 ? options.l2TimeoutMs : DEFAULT_L2_TIMEOUT_MS;
    this.backendName = options.l2Backend;
    if (options.l1Enabled) this.l1 = new L1Store(Math.floor(options.l1MaxSizeMb * 1024 * 1024));
    if (options.l2Enabled) {
      const connectionOptions = {
        addresses: options.l2Addresses,
        username: options.l2Username,
        password: options.l2Password,
        database: options.l2Database,
        timeoutMs: this.timeoutMs,
        warn: (msg: string) => this.logger.warn(msg),
      };
      this.l2 =
        options.l2Backend === 'memcached'
          ? new MemcachedConnection(connectionOptions)
          : new RedisConnection(connectionOptions);
    }
  }

  get enabled(): boolean {
    return this.options.l1Enabled || this.options.l2Enabled;
  }

  /** Connects L2 and the invalidation channel. Never throws: an unreachable L2 is marked down and retried. */
  async connect(): Promise<void> {
    const l2 = this.l2;
    if (!l2 || this.connectStarted || this.closed) return;
    this.connectStarted = true;
    if (l2.pubsub) {
      l2.subscribe(
        INVALIDATION_CHANNEL,
        (message) => this.onInvalidationMessage(message),
        () => {
          this.logger.log('cache invalidation channel reconnected; flushing L1 (pub/sub does not replay)');
          this.flushL1();
        },
        (err) => {
          if (this.l2Up) this.markDown(err);
        },
      );
    }
    try {
      await withTimeout(l2.connect(), Math.max(1000, this.timeoutMs * 4));
      await withTimeout(l2.ping(), this.timeoutMs);
      this.l2Up = true;
      this.l2Since = new Date();
      this.logger.log(`L2 cache connected (${l2.description})`);
    } catch (err) {
      this.markDown(err);
    }
  }

  async get(key: string): Promise<{ value: string; hit: 'l1' | 'l2' } | undefined> {
    const local = this.l1?.get(key);
    if (local !== undefined) {
      this.stats.l1Hits++;
      return { value: local, hit: 'l1' };
    }
    if (!this.l2) {
      this.stats.misses++;
      return undefined;
    }
    const start = this.beginGuard();
    try {
      const { entry } = await this.l2Lookup(key, [], false);
      if (!entry) {
        this.stats.misses++;
        return undefined;
      }
      this.stats.l2Hits++;
      this.backfillL1(key, entry, start);
      return { value: entry.value, hit: 'l2' };
    } finally {
      this.endGuard();
    }
  }

  async set(key: string, value: string, opts: CacheSetOptions): Promise<void> {
    if (!(opts.ttlMs > 0) || !this.enabled) return;
    const tags = this.normalizeTags(opts.tags);
    this.stats.sets++;
    this.l1?.set(key, value, opts.ttlMs, tags);
    await this.l2Write(key, value, opts.ttlMs, tags, undefined);
  }

  /**
   * Single flight: concurrent calls with the same key run `load` once; a hit returns without
   * calling it. `load` may say not to store. The L2 epochs are read before `load` runs, so a
   * value loaded across an invalidation is written with the old epochs and never served.
   */
  wrap(
    key: string,
    load: () => Promise<{ value: string; store: boolean }>,
    opts: CacheSetOptions,
  ): Promise<{ value: string; hit: CacheHit }> {
    if (!this.enabled || !(opts.ttlMs > 0)) {
      return load().then(({ value }) => ({ value, hit: false as const }));
    }
    const local = this.l1?.get(key);
    if (local !== undefined) {
      this.stats.l1Hits++;
      return Promise.resolve({ value: local, hit: 'l1' });
    }
    const running = this.flights.get(key);
    if (running) return running;
    const flight = this.runFlight(key, load, opts).finally(() => this.flights.delete(key));
    this.flights.set(key, flight);
    return flight;
  }

  /** Deletes one key from this node's L1 and from L2 (other nodes' L1 keep theirs: use invalidate for that). */
  async delete(key: string): Promise<void> {
    this.l1?.delete(key);
    await this.l2Call((l2) => l2.manager.del(l2Key('v', key)));
  }

  /**
   * Drops local L1 entries carrying any of the tags, makes L2 entries with those tags unreachable
   * (tag epochs), and, when `publish` (default true) and L2 is redis, publishes the tags so other
   * nodes drop their L1 entries. `tags` undefined or [] = everything. Returns the number of L1
   * entries dropped.
   */
  async invalidate(tags?: string[], opts: { publish?: boolean } = {}): Promise<number> {
    const list = this.invalidationTags(tags);
    const all = list === null;
    this.noteInvalidation(list);
    this.stats.invalidations++;
    let dropped = 0;
    if (this.l1) {
      if (all) {
        dropped = this.l1.size;
        this.l1.clear();
      } else {
        dropped = this.l1.dropTags(list);
      }
    }
    const l2 = this.l2;
    if (!l2) return dropped;
    const epochTags = list ?? [ALL_TAG];
    const bumped = await this.bumpEpochs(epochTags);
    if (bumped && opts.publish !== false && l2.pubsub) {
      const message: InvalidationMessage = { origin: this.options.nodeName, tags: list };
      const sent = await this.l2Call((c) => c.publish(INVALIDATION_CHANNEL, JSON.stringify(message)), true);
      if (!sent.ok) this.addPending(epochTags);
    }
    return dropped;
  }

  flushL1(): void {
    this.noteInvalidation(null);
    this.l1?.clear();
  }

  status(): CacheStatus {
    const l2: CacheStatus['l2'] = { enabled: !!this.l2, backend: this.backendName, up: this.l2Up };
    if (this.l2Since) l2.since = this.l2Since.toISOString();
    if (this.lastError !== undefined && !this.l2Up) l2.lastError = this.lastError;
    return {
      l1: {
        enabled: !!this.l1,
        entries: this.l1?.size ?? 0,
        bytes: this.l1?.bytes ?? 0,
        maxBytes: this.l1?.maxBytes ?? 0,
      },
      l2,
      stats: { ...this.stats },
    };
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.l2Up = false;
    if (this.probeTimer) clearInterval(this.probeTimer);
    this.probeTimer = undefined;
    await this.l2?.close();
  }

  // ---------------------------------------------------------------------------------------------

  private async runFlight(
    key: string,
    load: () => Promise<{ value: string; store: boolean }>,
    opts: CacheSetOptions,
  ): Promise<{ value: string; hit: CacheHit }> {
    const tags = this.normalizeTags(opts.tags);
    const start = this.beginGuard();
    try {
      const { entry, epochs } = this.l2 ? await this.l2Lookup(key, tags, true) : {};
      if (entry) {
        this.stats.l2Hits++;
        this.backfillL1(key, entry, start);
        return { value: entry.value, hit: 'l2' };
      }
      this.stats.misses++;
      const loaded = await load();
      if (loaded.store) {
        this.stats.sets++;
        if (this.l1 && !this.invalidatedSince(start, tags)) this.l1.set(key, loaded.value, opts.ttlMs, tags);
        // Without epochs read before the load, an L2 write could outlive an invalidation: skip it.
        if (epochs) await this.l2Write(key, loaded.value, opts.ttlMs, tags, epochs);
      }
      return { value: loaded.value, hit: false };
    } finally {
      this.endGuard();
    }
  }

  /**
   * Reads the entry of `key` together with the epochs of `$all` + `tags` (one multi-get) and
   * checks the entry's epochs against the current ones. With `initEpochs`, missing epochs of
   * `tags` are created so the caller can write an entry with them after loading.
   */
  private async l2Lookup(key: string, tags: string[], initEpochs: boolean): Promise<L2Lookup> {
    const wanted = [ALL_TAG, ...tags];
    const read = await this.l2Call((l2) => l2.keyv.getManyRaw([l2Key('v', key), ...wanted.map(epochKey)]));
    if (!read.ok) return {};
    const [raw, ...epochValues] = read.value;
    const epochs = new Map<string, string>();
    wanted.forEach((tag, i) => {
      const epoch = epochValues[i]?.value;
      if (typeof epoch === 'string') epochs.set(tag, epoch);
    });

    let entry: L2Entry | undefined;
    const record = raw?.value;
    if (isRecord(record)) {
      const entryTags = Object.keys(record.e);
      const unknown = entryTags.filter((tag) => !wanted.includes(tag));
      let current = epochs;
      if (unknown.length) {
        const more = await this.l2Call((l2) => l2.keyv.getMany(unknown.map(epochKey)));
        if (!more.ok) return {};
        current = new Map(epochs);
        unknown.forEach((tag, i) => {
          const epoch = more.value[i];
          if (typeof epoch === 'string') current.set(tag, epoch);
        });
      }
      // A missing epoch is a miss too: an evicted epoch must not revive entries written under it.
      if (entryTags.length && entryTags.every((tag) => current.get(tag) === record.e[tag])) {
        const ttlMs = typeof raw?.expires === 'number' ? raw.expires - Date.now() : undefined;
        if (ttlMs === undefined || ttlMs > 0) {
          entry = { value: record.v, tags: entryTags.filter((t) => t !== ALL_TAG), ttlMs };
        }
      }
    }
    if (entry || !initEpochs) return { entry, epochs };
    const missing = wanted.filter((tag) => !epochs.has(tag));
    if (missing.length === 0) return { epochs };
    const created = await this.writeEpochs(missing);
    if (!created) return {};
    for (const [tag, epoch] of created) epochs.set(tag, epoch);
    return { epochs };
  }

  private async l2Write(
    key: string,
    value: string,
    ttlMs: number,
    tags: string[],
    snapshot: Map<string, string> | undefined,
  ): Promise<void> {
    const l2 = this.l2;
    if (!l2 || !this.l2Up || this.closed) return;
    if (l2.maxValueBytes !== Infinity && Buffer.byteLength(value) > l2.maxValueBytes) return;
    const all = [ALL_TAG, ...tags];
    let epochs = snapshot;
    if (!epochs) {
      const read = await this.l2Call((c) => c.keyv.getMany(all.map(epochKey)));
      if (!read.ok) return;
      epochs = new Map();
      for (const [i, tag] of all.entries()) {
        const epoch = read.value[i];
        if (typeof epoch === 'string') epochs.set(tag, epoch);
      }
      const missing = all.filter((tag) => !epochs!.has(tag));
      if (missing.length) {
        const created = await this.writeEpochs(missing);
        if (!created) return;
        for (const [tag, epoch] of created) epochs.set(tag, epoch);
      }
    }
    const e: Record<string, string> = {};
    for (const tag of all) {
      const epoch = epochs.get(tag);
      if (epoch === undefined) return;
      e[tag] = epoch;
    }
    const record: L2Record = { v: value, e };
    await this.l2Call((c) => c.manager.set(l2Key('v', key), record, ttlMs));
  }

  /** Gives each tag a fresh random epoch. Overwriting an epoch is always safe: at worst a miss. */
  private async writeEpochs(tags: string[], strict = false): Promise<Map<string, string> | undefined> {
    const epochs = new Map(tags.map((tag) => [tag, newEpoch()]));
    const list = [...epochs].map(([tag, epoch]) => ({ key: epochKey(tag), value: epoch }));
    const written = await this.l2Call((l2) => l2.manager.mset(list), strict);
    return written.ok ? epochs : undefined;
  }

  private async bumpEpochs(tags: string[]): Promise<boolean> {
    if (!this.l2Up || this.closed) {
      this.addPending(tags);
      return false;
    }
    if (await this.writeEpochs(tags, true)) return true;
    this.addPending(tags);
    return false;
  }

  private addPending(tags: string[]): void {
    if (this.pendingTags.has(ALL_TAG)) return;
    for (const tag of tags) this.pendingTags.add(tag);
    if (this.pendingTags.has(ALL_TAG) || this.pendingTags.size > MAX_PENDING_TAGS) {
      this.pendingTags.clear();
      this.pendingTags.add(ALL_TAG);
    }
  }

  /**
   * Runs one L2 operation bounded by the timeout. While L2 is down nothing is attempted. Never
   * throws. A failure marks L2 down, except an error answered by the server (out of memory, …)
   * on a read or an entry write: that costs a miss, not an outage. `strict` operations (epoch
   * bumps, invalidation messages) must not fail silently: any failure marks L2 down, so it is
   * not read until the invalidation has been replayed.
   */
  private async l2Call<T>(op: (l2: L2Connection) => Promise<T>, strict = false): Promise<L2Result<T>> {
    const l2 = this.l2;
    if (!l2 || !this.l2Up || this.closed) return { ok: false };
    try {
      return { ok: true, value: await withTimeout(op(l2), this.timeoutMs) };
    } catch (err) {
      if (!strict && l2.isServerReply(err)) {
        this.stats.l2Errors++;
        this.lastError = this.describe(err);
      } else {
        this.markDown(err);
      }
      return { ok: false };
    }
  }

  private markDown(err: unknown): void {
    this.stats.l2Errors++;
    this.lastError = this.describe(err);
    if (this.closed) return;
    this.l2Up = false;
    if (!this.inOutage) {
      this.inOutage = true;
      this.l2Since = new Date();
      this.logger.warn(
        `L2 cache (${this.backendName}) unreachable: ${this.lastError}; serving from L1 and the databases`,
      );
    }
    if (!this.probeTimer) {
      this.probeTimer = setInterval(() => void this.probe(), PROBE_INTERVAL_MS);
      this.probeTimer.unref();
    }
  }

  /** While L2 is down: is it back? Then replay the invalidations it missed, flush L1 and use it again. */
  private async probe(): Promise<void> {
    const l2 = this.l2;
    if (!l2 || this.probing || this.l2Up || this.closed) return;
    this.probing = true;
    try {
      await withTimeout(l2.ping(), this.timeoutMs);
      if (this.pendingTags.size) {
        const tags = [...this.pendingTags];
        const message: InvalidationMessage = {
          origin: this.options.nodeName,
          tags: tags.includes(ALL_TAG) ? null : tags,
        };
        await withTimeout(
          l2.manager.mset(tags.map((tag) => ({ key: epochKey(tag), value: newEpoch() }))),
          this.timeoutMs,
        );
        if (l2.pubsub)
          await withTimeout(l2.publish(INVALIDATION_CHANNEL, JSON.stringify(message)), this.timeoutMs);
        for (const tag of tags) this.pendingTags.delete(tag);
      }
      if (this.closed) return;
      // Invalidations published meanwhile were not heard here.
      this.flushL1();
      this.l2Up = true;
      this.inOutage = false;
      this.l2Since = new Date();
      if (this.probeTimer) clearInterval(this.probeTimer);
      this.probeTimer = undefined;
      this.logger.log(`L2 cache (${this.backendName}) reachable again`);
    } catch (err) {
      this.lastError = this.describe(err);
    } finally {
      this.probing = false;
    }
  }

  private onInvalidationMessage(raw: string): void {
    let message: Partial<InvalidationMessage>;
    try {
      message = JSON.parse(raw) as Partial<InvalidationMessage>;
    } catch {
      this.logger.warn('ignoring a malformed cache invalidation message');
      return;
    }
    if (message.origin === this.options.nodeName) return;
    const tags = Array.isArray(message.tags)
      ? this.invalidationTags(message.tags.filter((t): t is string => typeof t === 'string'))
      : null;
    this.noteInvalidation(tags);
    this.stats.invalidations++;
    if (!this.l1) return;
    if (tags === null) this.l1.clear();
    else this.l1.dropTags(tags);
  }

  private backfillL1(key: string, entry: L2Entry, start: number): void {
    if (!this.l1 || this.invalidatedSince(start, entry.tags)) return;
    const ttl = entry.ttlMs ?? this.options.ttlMs;
    if (ttl > 0) this.l1.set(key, entry.value, ttl, entry.tags);
  }

  /** Unique tags without `$all` (which every entry carries implicitly). */
  private normalizeTags(tags: string[] | undefined): string[] {
    if (!tags?.length) return [];
    return [...new Set(tags)].filter((tag) => tag !== ALL_TAG);
  }

  /** null = everything. */
  private invalidationTags(tags: string[] | undefined): string[] | null {
    if (!tags?.length || tags.includes(ALL_TAG)) return null;
    return [...new Set(tags)];
  }

  private beginGuard(): number {
    this.guards++;
    return this.seq;
  }

  private endGuard(): void {
    if (--this.guards === 0) this.tagSeq.clear();
  }

  private noteInvalidation(tags: string[] | null): void {
    this.seq++;
    if (tags === null) this.allSeq = this.seq;
    else if (this.guards > 0) for (const tag of tags) this.tagSeq.set(tag, this.seq);
  }

  private invalidatedSince(start: number, tags: string[]): boolean {
    if (this.allSeq > start) return true;
    return tags.some((tag) => (this.tagSeq.get(tag) ?? 0) > start);
  }

  /** An error's message without credentials. */
  private describe(err: unknown): string {
    let text = err instanceof Error ? err.message || err.name : String(err);
    text = text.replace(/\/\/[^\s/@]*@/g, '//***@');
    const password = this.options.l2Password;
    if (password) text = text.split(password).join('***');
    return text;
  }
}

function epochKey(tag: string): string {
  return l2Key('tag', tag);
}
