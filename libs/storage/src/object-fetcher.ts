import { createHash } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import {
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  S3Client,
  type S3ClientConfig,
} from '@aws-sdk/client-s3';
import { DiskCache } from './object-cache.js';
import { StorageError } from './storage.errors.js';
import { type RegisteredStorage, StorageRegistry } from './storage-registry.js';
import { globPrefix, globToRegExp, isGlob } from './storage-url.js';

/**
 * What a host hands the query engine: an `s3://` URL (one object, or a glob such as
 * `s3://bucket/dir/*.parquet`) → local file paths that DuckDB can read.
 */
export type ObjectResolver = (url: string) => Promise<string[]>;

export interface StorageLogger {
  debug(message: string): void;
  warn(message: string): void;
}

export interface ObjectFetcherOptions {
  cacheDir: string;
  maxBytes: number;
  /** Use a cached object this long without a HEAD request (0 = every use). */
  revalidateMs: number;
  /** Objects of one glob downloaded in parallel; default 4. */
  concurrency?: number;
  /** Most objects one glob may match; default 10 000. */
  maxObjects?: number;
  /** Timeout of one S3 request (the download itself is not bounded); default 30 s. */
  requestTimeoutMs?: number;
  logger?: StorageLogger;
}

interface Checked {
  name: string;
  at: number;
}

const MAX_CHANGED_RETRIES = 3;
/** Remembered ETag checks (for STORAGE_CACHE_REVALIDATE); forgetting them only costs a HEAD. */
const MAX_CHECKED = 10_000;
/** A client whose connection no registry uses any more is closed after this (downloads in flight finish). */
const CLIENT_RETIRE_MS = 5 * 60_000;

const SILENT: StorageLogger = { debug: () => undefined, warn: () => undefined };

/**
 * Downloads S3 objects into a bounded local cache keyed by endpoint, bucket, key and ETag.
 * Each use asks the storage for the object's ETag (HEAD; at most every `revalidateMs`) and
 * downloads again when it changed; concurrent uses of one object share one download.
 */
export class ObjectFetcher {
  private readonly cache: DiskCache;
  private readonly logger: StorageLogger;
  private readonly clients = new Map<string, { client: S3Client; retire?: NodeJS.Timeout }>();
  private readonly inflight = new Map<string, Promise<string>>();
  private readonly checked = new Map<string, Checked>();
  private ready: Promise<void> | undefined;
  private current: StorageRegistry;

  constructor(
    private readonly options: ObjectFetcherOptions,
    registry: StorageRegistry = StorageRegistry.EMPTY,
  ) {
    this.cache = new DiskCache(options.cacheDir, options.maxBytes);
    this.logger = options.logger ?? SILENT;
    this.current = registry;
  }

  get registry(): StorageRegistry {
    return this.current;
  }

  /** Cache use, for readiness details and tests. */
  get cacheStats(): { dir: string; bytes: number; files: number; maxBytes: number } {
    return {
      dir: this.cache.dir,
      bytes: this.cache.size,
      files: this.cache.count,
      maxBytes: this.cache.maxBytes,
    };
  }

  /** Installs the registry of a new schema version; clients of connections it no longer has retire. */
  useRegistry(registry: StorageRegistry): void {
    this.current = registry;
    const live = new Set(registry.storages.map((s) => s.connectionId));
    for (const [id, held] of this.clients) {
      if (live.has(id)) {
        clearTimeout(held.retire);
        held.retire = undefined;
      } else if (!held.retire) {
        held.retire = setTimeout(() => this.dropClient(id), CLIENT_RETIRE_MS);
        held.retire.unref();
      }
    }
  }

  /** A resolver bound to `registry` (default: the one installed now), for one engine version. */
  resolverFor(registry?: StorageRegistry): ObjectResolver {
    return (url) => this.localPaths(url, registry ?? this.current);
  }

  /** The local path of one object (no glob). */
  async localPath(url: string, registry: StorageRegistry = this.current): Promise<string> {
    const { storage, bucket, key } = registry.resolve(url);
    if (!key || key.endsWith('/'))
      throw new StorageError('BAD_URL', `${url} names no object (s3://bucket/key)`);
    if (isGlob(key))
      throw new StorageError('BAD_URL', `${url} is a pattern; use localPaths() for several objects`);
    return this.fetch(storage, bucket, key, url);
  }

  /** One object's path, or the paths of every object a glob matches, in key order. */
  async localPaths(url: string, registry: StorageRegistry = this.current): Promise<string[]> {
    const { storage, bucket, key } = registry.resolve(url);
    if (!isGlob(key)) return [await this.localPath(url, registry)];
    const keys = await this.list(storage, bucket, key, url);
    if (!keys.length)
      throw new StorageError('NOT_FOUND', `storage ${storage.name}: no object matches ${url}`);
    const paths: string[] = new Array(keys.length);
    let next = 0;
    const worker = async () => {
      while (next < keys.length) {
        const i = next++;
        paths[i] = await this.fetch(storage, bucket, keys[i], `s3://${bucket}/${keys[i]}`);
      }
    };
    await Promise.all(Array.from({ length: Math.min(this.options.concurrency ?? 4, keys.length) }, worker));
    return paths;
  }

  async close(): Promise<void> {
    for (const id of [...this.clients.keys()]) this.dropClient(id);
  }

  private init(): Promise<void> {
    this.ready ??= this.cache.init().catch((err: Error) => {
      this.ready = undefined;
      throw new StorageError('UNAVAILABLE', `object cache ${this.cache.dir} is not usable: ${err.message}`);
    });
    return this.ready;
  }

  private fetch(storage: RegisteredStorage, bucket: string, key: string, url: string): Promise<string> {
    const id = `${storage.endpointUrl ?? `aws:${storage.region}`}\n${bucket}\n${key}`;
    // Shared only among callers with the same credentials: another storage's access is checked by its own HEAD.
    const flight = `${storage.connectionId}\n${id}`;
    const running = this.inflight.get(flight);
    if (running) return running;
    const run = this.fetchOnce(storage, bucket, key, url, id, flight).finally(() =>
      this.inflight.delete(flight),
    );
    this.inflight.set(flight, run);
    return run;
  }

  private async fetchOnce(
    storage: RegisteredStorage,
    bucket: string,
    key: string,
    url: string,
    id: string,
    flight: string,
  ): Promise<string> {
    await this.init();
    const recent = this.checked.get(flight);
    if (recent && Date.now() - recent.at < this.options.revalidateMs && this.cache.touch(recent.name))
      return this.cache.path(recent.name);
    const client = this.client(storage);
    for (let attempt = 1; ; attempt++) {
      const head = await this.send(storage, url, () =>
        client.send(new HeadObjectCommand({ Bucket: bucket, Key: key })),
      );
      const etag = head.ETag ?? '';
      const size = head.ContentLength ?? 0;
      if (size > this.cache.maxBytes)
        throw new StorageError(
          'TOO_LARGE',
          `storage ${storage.name}: ${url} is ${mb(size)} MB, more than the object cache holds (STORAGE_CACHE_MAX_SIZE=${mb(this.cache.maxBytes)})`,
        );
      const name = fileName(id, etag, key);
      if (!etag || !this.cache.touch(name)) {
        const done = await this.download(storage, client, bucket, key, url, etag, name);
        if (!done) {
          // Replaced between HEAD and GET: ask again for the new ETag.
          if (attempt < MAX_CHANGED_RETRIES) continue;
          throw new StorageError(
            'UNAVAILABLE',
            `storage ${storage.name}: ${url} keeps changing while it is read`,
          );
        }
      }
      if (this.options.revalidateMs > 0) {
        if (this.checked.size >= MAX_CHECKED) this.checked.clear();
        this.checked.set(flight, { name, at: Date.now() });
      }
      return this.cache.path(name);
    }
  }

  /** GET with If-Match on the HEAD's ETag into a temporary file; false when the object changed. */
  private async download(
    storage: RegisteredStorage,
    client: S3Client,
    bucket: string,
    key: string,
    url: string,
    etag: string,
    name: string,
  ): Promise<boolean> {
    const started = performance.now();
    let res;
    try {
      res = await client.send(
        new GetObjectCommand({ Bucket: bucket, Key: key, ...(etag ? { IfMatch: etag } : {}) }),
      );
    } catch (err) {
      if ((err as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode === 412)
        return false;
      throw mapError(storage, url, err);
    }
    const tmp = this.cache.tempPath();
    try {
      await pipeline(res.Body as Readable, createWriteStream(tmp));
      const size = await this.cache.commit(tmp, name);
      this.logger.debug(
        `storage ${storage.name}: downloaded ${url} (${size} bytes, ETag ${etag}) in ${Math.round(performance.now() - started)} ms`,
      );
      return true;
    } catch (err) {
      await this.cache.discard(tmp);
      throw new StorageError(
        'UNAVAILABLE',
        `storage ${storage.name}: reading ${url} failed (${(err as { code?: string }).code ?? (err as Error).name})`,
      );
    }
  }

  private async list(
    storage: RegisteredStorage,
    bucket: string,
    pattern: string,
    url: string,
  ): Promise<string[]> {
    const client = this.client(storage);
    const match = globToRegExp(pattern);
    const max = this.options.maxObjects ?? 10_000;
    const keys: string[] = [];
    let token: string | undefined;
    do {
      const page = await this.send(storage, url, () =>
        client.send(
          new ListObjectsV2Command({ Bucket: bucket, Prefix: globPrefix(pattern), ContinuationToken: token }),
        ),
      );
      for (const o of page.Contents ?? []) if (o.Key && match.test(o.Key)) keys.push(o.Key);
      if (keys.length > max)
        throw new StorageError(
          'TOO_LARGE',
          `storage ${storage.name}: ${url} matches more than ${max} objects`,
        );
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
    return keys.sort();
  }

  /** Runs one S3 call and maps its failure to a StorageError (the SDK's message is not passed on). */
  private async send<T>(storage: RegisteredStorage, url: string, call: () => Promise<T>): Promise<T> {
    try {
      return await call();
    } catch (err) {
      throw mapError(storage, url, err);
    }
  }

  private client(storage: RegisteredStorage): S3Client {
    const held = this.clients.get(storage.connectionId);
    if (held) return held.client;
    const client = new S3Client(clientConfig(storage, this.options.requestTimeoutMs ?? 30_000));
    this.clients.set(storage.connectionId, { client });
    return client;
  }

  private dropClient(id: string): void {
    const held = this.clients.get(id);
    if (!held) return;
    clearTimeout(held.retire);
    this.clients.delete(id);
    held.client.destroy();
  }
}

function clientConfig(storage: RegisteredStorage, requestTimeoutMs: number): S3ClientConfig {
  const credentials = storage.credentials;
  return {
    region: storage.region,
    endpoint: storage.endpointUrl,
    forcePathStyle: storage.urlStyle === 'path',
    maxAttempts: 2,
    requestHandler: {
      requestTimeout: requestTimeoutMs,
      connectionTimeout: Math.min(requestTimeoutMs, 10_000),
    },
    // Without credentials: unsigned requests (a public bucket), and never the SDK's default
    // provider chain, which would look for keys in this process's environment or the instance.
    ...(credentials
      ? { credentials: { ...credentials } }
      : {
          httpAuthSchemes: [
            {
              schemeId: 'aws.auth#sigv4',
              identityProvider: () => async () => ({}),
              signer: { sign: async (request: unknown) => request },
            },
          ] as unknown as S3ClientConfig['httpAuthSchemes'],
        }),
  };
}

function mapError(storage: RegisteredStorage, url: string, err: unknown): StorageError {
  if (err instanceof StorageError) return err;
  const e = err as { name?: string; code?: string; $metadata?: { httpStatusCode?: number } };
  const status = e.$metadata?.httpStatusCode;
  // A HEAD error has no body: the SDK names it `Unknown`, and the status says more.
  const name = e.name && e.name !== 'Unknown' ? e.name : status ? `HTTP ${status}` : 'Error';
  const where = `storage ${storage.name}`;
  if (
    status === 401 ||
    status === 403 ||
    /AccessDenied|InvalidAccessKeyId|SignatureDoesNotMatch|Forbidden/.test(name)
  )
    return new StorageError('ACCESS_DENIED', `${where}: access denied to ${url} (${name})`);
  if (status === 404 || /NotFound|NoSuchKey|NoSuchBucket/.test(name))
    return new StorageError('NOT_FOUND', `${where}: ${url} does not exist`);
  const code = e.code ?? (status ? `HTTP ${status}` : name);
  return new StorageError(
    'UNAVAILABLE',
    `${where}: ${storage.endpointUrl ?? 'the AWS endpoint'} failed for ${url} (${code})`,
  );
}

/** Cache file name: a digest of endpoint, bucket, key and ETag, plus the key's base name (DuckDB reads the extension). */
function fileName(id: string, etag: string, key: string): string {
  const digest = createHash('sha256').update(`${id}\n${etag}`).digest('hex').slice(0, 32);
  const base = (key.split('/').pop() ?? '').replace(/[^A-Za-z0-9._-]/g, '_').slice(-80);
  return base ? `${digest}-${base}` : digest;
}

function mb(bytes: number): number {
  return Math.round((bytes / (1024 * 1024)) * 10) / 10;
}
