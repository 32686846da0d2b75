import KeyvRedis, {
  createClient,
  createCluster,
  Keyv,
  type RedisClientType,
  type RedisClusterType,
} from '@keyv/redis';
import { createCache } from 'cache-manager';
import {
  formatAddress,
  type HostPort,
  type L2Connection,
  type L2ConnectionOptions,
  type L2Value,
  parseAddress,
} from './l2-connection.js';

const DEFAULT_PORT = 6379;
const PROBE_KEY = 'muninn:probe';
/** Reconnect attempts of a cluster subscriber on one node before it moves to the next address. */
const SUBSCRIBER_RETRIES_PER_NODE = 3;

/** Quick first retries, then once a second: an outage is detected by failing operations anyway. */
function reconnectStrategy(retries: number): number {
  return Math.min(50 * 2 ** retries, 1000) + Math.floor(Math.random() * 50);
}

/**
 * Redis (one address) or Redis Cluster (several) through `@keyv/redis`. The clients are created
 * here rather than from a URL so credentials never appear in a connection string or a log line,
 * and with the offline queue off so that, while Redis is away, commands fail at once instead of
 * piling up until it returns.
 */
export class RedisConnection implements L2Connection {
  readonly backend = 'redis' as const;
  readonly description: string;
  readonly keyv: Keyv<L2Value>;
  readonly manager;
  readonly maxValueBytes = Infinity;
  readonly pubsub = true;

  private readonly nodes: HostPort[];
  private readonly client: RedisClientType | RedisClusterType;
  private readonly cluster: boolean;
  private subscriber: RedisClientType | undefined;
  private closing = false;
  private lastRediscover = 0;
  private connecting: Promise<void> | undefined;

  constructor(private readonly options: L2ConnectionOptions) {
    this.nodes = options.addresses.map((a) => parseAddress(a, DEFAULT_PORT));
    if (this.nodes.length === 0) throw new Error('redis L2 cache: no address');
    this.cluster = this.nodes.length > 1;
    this.description = `${this.cluster ? 'redis cluster' : 'redis'} ${this.nodes.map(formatAddress).join(', ')}`;
    const connectTimeout = Math.max(1000, options.timeoutMs * 4);
    const credentials = { username: options.username || undefined, password: options.password || undefined };
    if (this.cluster) {
      if (options.database) options.warn('redis cluster has only database 0; CACHE_L2_DATABASE is ignored');
      this.client = createCluster({
        rootNodes: this.nodes.map((node) => ({ socket: { ...node } })),
        defaults: {
          ...credentials,
          disableOfflineQueue: true,
          socket: { connectTimeout, reconnectStrategy },
        },
      }) as unknown as RedisClusterType;
    } else {
      this.client = createClient({
        ...credentials,
        database: options.database ?? 0,
        disableOfflineQueue: true,
        socket: { ...this.nodes[0]!, connectTimeout, reconnectStrategy },
      }) as RedisClientType;
    }
    // Failures surface as rejected operations (throwOnErrors); the events themselves carry nothing more.
    this.client.on('error', () => undefined);
    // A cluster node that cannot be reached may have failed over: read the topology again.
    if (this.cluster) this.client.on('node-error', () => this.rediscoverSoon());
    const store = new KeyvRedis<L2Value>(this.client, { throwOnErrors: true, throwOnConnectError: true });
    this.keyv = new Keyv<L2Value>({ store, namespace: undefined, useKeyPrefix: false, throwOnErrors: true });
    this.keyv.on('error', () => undefined);
    this.manager = createCache({ stores: [this.keyv] });
  }

  connect(): Promise<void> {
    if (this.connecting) return this.connecting;
    if (this.client.isOpen) return Promise.resolve();
    const attempt = (this.client.connect() as Promise<unknown>).then(
      () => undefined,
      (err: unknown) => {
        // A cluster gives up after one failed discovery; the next ping tries again.
        if (this.connecting === attempt) this.connecting = undefined;
        throw err;
      },
    );
    this.connecting = attempt;
    return attempt;
  }

  isServerReply(err: unknown): boolean {
    // @redis/client's ErrorReply (and subclasses): the server answered `-ERR …`, `-OOM …`.
    for (let proto: unknown = err; proto; proto = Object.getPrototypeOf(proto)) {
      if ((proto as { constructor?: { name?: string } }).constructor?.name === 'ErrorReply') return true;
    }
    return false;
  }

  async ping(): Promise<void> {
    if (this.cluster) {
      if (!this.client.isOpen) await this.connect();
      await this.keyv.get(PROBE_KEY);
      return;
    }
    await (this.client as RedisClientType).ping();
  }

  async publish(channel: string, message: string): Promise<void> {
    await this.client.publish(channel, message);
  }

  subscribe(
    channel: string,
    onMessage: (message: string) => void,
    onReconnect: () => void,
    onDrop: (err: unknown) => void,
  ): void {
    if (this.subscriber || this.closing) return;
    if (this.cluster) {
      this.subscribeCluster(0, { channel, onMessage, onReconnect }, false);
      return;
    }
    const sub = (this.client as RedisClientType).duplicate({
      disableOfflineQueue: false, // SUBSCRIBE may be sent before Redis is reachable
      socket: { ...this.nodes[0]!, connectTimeout: this.subscriberTimeout, reconnectStrategy },
    }) as RedisClientType;
    this.subscriber = sub;
    let readyBefore = false;
    sub.on('error', (err: unknown) => {
      // One Redis: the subscriber losing it is the L2 going away.
      if (readyBefore) onDrop(err);
    });
    sub.on('ready', () => {
      if (readyBefore) onReconnect();
      readyBefore = true;
    });
    sub.connect().catch(() => undefined); // keeps retrying by itself; failures show on the data connection
    sub.subscribe(channel, (message) => onMessage(message)).catch(() => undefined);
  }

  /**
   * Redis Cluster: PUBLISH reaches every node, so one connection to any node hears everything.
   * When that node fails (or cannot be reached), the subscriber moves on to the next configured
   * address, so a failover never leaves this node deaf. A dropped subscriber is not an L2 outage
   * here (the data connection follows the cluster on its own); every (re)subscription after the
   * first calls `onReconnect`, as messages may have been missed meanwhile.
   */
  private subscribeCluster(
    index: number,
    on: { channel: string; onMessage: (message: string) => void; onReconnect: () => void },
    missedSome: boolean,
  ): void {
    if (this.closing) return;
    let movedOn = false;
    let readyBefore = false;
    const moveOn = () => {
      if (movedOn || this.closing) return;
      movedOn = true;
      if (sub.isOpen) sub.destroy();
      // The next address: a few quick retries on each, so a failover is followed within seconds.
      setTimeout(() => this.subscribeCluster((index + 1) % this.nodes.length, on, true), 50).unref();
    };
    const sub = createClient({
      username: this.options.username || undefined,
      password: this.options.password || undefined,
      disableOfflineQueue: false,
      socket: {
        ...this.nodes[index]!,
        connectTimeout: this.subscriberTimeout,
        reconnectStrategy: (retries: number) => {
          if (retries < SUBSCRIBER_RETRIES_PER_NODE) return reconnectStrategy(retries);
          setImmediate(moveOn);
          return new Error('moving the subscriber to another cluster node');
        },
      },
    }) as RedisClientType;
    this.subscriber = sub;
    sub.on('error', () => undefined);
    sub.on('ready', () => {
      if (readyBefore || missedSome) on.onReconnect();
      readyBefore = true;
    });
    sub.connect().catch(moveOn);
    sub.subscribe(on.channel, (message) => on.onMessage(message)).catch(() => undefined);
  }

  /**
   * Redis Cluster: reads the slot map again (at most once a second). node-redis does so only on a
   * MOVED reply, which never comes while the client of a failed master is offline: its slots would
   * stay unreachable after the replica took over. `rediscover` is node-redis's own (internal)
   * refresh; the failover test in test/cache.e2e-spec.ts covers it.
   */
  private rediscoverSoon(): void {
    const now = Date.now();
    if (this.closing || now - this.lastRediscover < 1000) return;
    this.lastRediscover = now;
    const slots = (this.client as unknown as { _slots?: { rediscover?: (start: unknown) => Promise<void> } })
      ._slots;
    if (typeof slots?.rediscover !== 'function') return;
    const start = this.nodes[Math.floor(Math.random() * this.nodes.length)]!;
    slots.rediscover({ options: { socket: { ...start } } }).catch(() => undefined);
  }

  private get subscriberTimeout(): number {
    return Math.max(1000, this.options.timeoutMs * 4);
  }

  async close(): Promise<void> {
    this.closing = true;
    const sub = this.subscriber;
    this.subscriber = undefined;
    if (sub?.isOpen) sub.destroy();
    if (this.client.isOpen) this.client.destroy();
  }
}
