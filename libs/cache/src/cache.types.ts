export type L2Backend = 'redis' | 'memcached';

export interface CacheOptions {
  /** Default TTL of cached results (CACHE_TTL) for callers; the cache itself stores with the ttl it is given. */
  ttlMs: number;
  l1Enabled: boolean;
  /** L1 bound in MB, enforced on the measured size of the entries (LRU eviction). */
  l1MaxSizeMb: number;
  l2Enabled: boolean;
  l2Backend: L2Backend;
  /** `host:port` (`[v6]:port`); several addresses with redis = Redis Cluster, with memcached = sharded servers. */
  l2Addresses: string[];
  l2Username?: string;
  l2Password?: string;
  l2Database?: number;
  /** Origin id in pub/sub messages (a node ignores its own). */
  nodeName: string;
  /** Bound of every single L2 operation; default 250 ms. */
  l2TimeoutMs?: number;
}

export type CacheHit = 'l1' | 'l2' | false;

export interface CacheStatus {
  l1: { enabled: boolean; entries: number; bytes: number; maxBytes: number };
  l2: { enabled: boolean; backend: L2Backend; up: boolean; since?: string; lastError?: string };
  stats: {
    l1Hits: number;
    l2Hits: number;
    misses: number;
    sets: number;
    invalidations: number;
    l2Errors: number;
  };
}

export interface CacheLogger {
  log(msg: string): void;
  warn(msg: string): void;
  error(msg: string): void;
}

export interface CacheSetOptions {
  ttlMs: number;
  tags?: string[];
}
