import type { Cache } from 'cache-manager';
import type { Keyv } from 'keyv';
import type { L2Backend } from './cache.types.js';

/** What an L2 entry looks like in the store: the value and the epoch of each of its tags at write time. */
export interface L2Record {
  v: string;
  e: Record<string, string>;
}

/** Entries are records; tag epochs are plain strings. */
export type L2Value = L2Record | string;

/**
 * One L2 backend (Redis, Redis Cluster or Memcached) behind Keyv. Reads go through `keyv`
 * (configured to throw, so an outage is seen as one); writes and deletes go through `manager`,
 * the cache-manager facade over the same Keyv instance.
 */
export interface L2Connection {
  readonly backend: L2Backend;
  /** For logs: backend and addresses, never credentials. */
  readonly description: string;
  readonly keyv: Keyv<L2Value>;
  readonly manager: Cache;
  /** Largest serialised entry the backend accepts (memcached's item size); Infinity for redis. */
  readonly maxValueBytes: number;
  /** Whether `publish`/`subscribe` work (redis only). */
  readonly pubsub: boolean;
  /** Starts connecting; resolves once the backend is ready. Keeps reconnecting in the background. */
  connect(): Promise<void>;
  /** Whether `err` is an error answered by the server (it is reachable), not a connection failure. */
  isServerReply(err: unknown): boolean;
  /** One cheap round trip; rejects when the backend does not answer. */
  ping(): Promise<void>;
  publish(channel: string, message: string): Promise<void>;
  /**
   * Subscribes on a dedicated connection. `onReconnect` runs each time that connection is ready
   * again after a drop (messages sent in between are lost: pub/sub does not replay); `onDrop`
   * when the connection fails after it was ready (a node that only hits L1 learns of an outage).
   */
  subscribe(
    channel: string,
    onMessage: (message: string) => void,
    onReconnect: () => void,
    onDrop: (err: unknown) => void,
  ): void;
  close(): Promise<void>;
}

export interface L2ConnectionOptions {
  addresses: string[];
  username?: string;
  password?: string;
  database?: number;
  timeoutMs: number;
  warn: (msg: string) => void;
}

export interface HostPort {
  host: string;
  port: number;
}

/** `host:port`, `host` (default port) or `[v6]:port`. */
export function parseAddress(address: string, defaultPort: number): HostPort {
  const text = address.trim();
  const v6 = /^\[([^\]]+)\](?::(\d+))?$/.exec(text);
  if (v6) return { host: v6[1]!, port: v6[2] ? Number(v6[2]) : defaultPort };
  const colon = text.lastIndexOf(':');
  if (colon > 0 && /^\d+$/.test(text.slice(colon + 1))) {
    return { host: text.slice(0, colon), port: Number(text.slice(colon + 1)) };
  }
  return { host: text, port: defaultPort };
}

export function formatAddress({ host, port }: HostPort): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}
