import type { StorageDefinition } from '@app/core-db';
import { createHmac, randomBytes } from 'node:crypto';
import { type StorageCipher, credentialAad } from './storage-cipher.js';
import { StorageError } from './storage.errors.js';
import { normaliseScope, parseS3Url } from './storage-url.js';

export type UrlStyle = 'path' | 'vhost';

/** A storage row as the definitions snapshot carries it: credentials still encrypted. */
export type StorageDefinitionLike = Omit<StorageDefinition, 'parameters'>;

export interface StorageCredentials {
  accessKeyId: string;
  secretAccessKey: string;
}

/** What a node may show about a storage (readiness details, logs): never a credential. */
export interface StorageSummary {
  name: string;
  scope: string;
  ok: boolean;
  error?: string;
}

// Per process: connection ids are digests of credentials that never leave this process.
const CONNECTION_ID_KEY = randomBytes(32);

/** One registered storage with its credentials decrypted (kept in a private field). */
export class RegisteredStorage {
  readonly name: string;
  readonly type: string;
  /** Normalised scope: `s3://bucket/` or `s3://bucket/prefix`. */
  readonly scope: string;
  /** `host[:port]`, or '' for AWS's own endpoint of the region. */
  readonly endpoint: string;
  readonly region: string;
  readonly useSsl: boolean;
  readonly urlStyle: UrlStyle;
  /** Why this storage cannot be used on this node (credentials that do not decrypt, a bad row). */
  readonly error: string | undefined;
  /** Equal for two registrations with the same endpoint, region, style and credentials. */
  readonly connectionId: string;
  readonly #credentials: StorageCredentials | undefined;

  constructor(def: StorageDefinitionLike, cipher: StorageCipher | undefined) {
    this.name = def.name;
    this.type = def.type;
    this.endpoint = def.endpoint;
    this.region = def.region || 'us-east-1';
    this.useSsl = def.useSsl;
    this.urlStyle = def.urlStyle === 'vhost' ? 'vhost' : 'path';
    let scope = def.scope;
    let error: string | undefined;
    let credentials: StorageCredentials | undefined;
    try {
      scope = normaliseScope(def.scope);
      credentials = decryptCredentials(def, cipher);
    } catch (err) {
      error = (err as Error).message;
    }
    this.scope = scope;
    this.error = error;
    this.#credentials = credentials;
    this.connectionId = createHmac('sha256', CONNECTION_ID_KEY)
      .update(
        JSON.stringify([
          this.endpoint,
          this.region,
          this.useSsl,
          this.urlStyle,
          credentials?.accessKeyId,
          credentials?.secretAccessKey,
        ]),
      )
      .digest('hex');
  }

  /** `http(s)://host[:port]`, or undefined for AWS's default endpoint. */
  get endpointUrl(): string | undefined {
    return this.endpoint ? `${this.useSsl ? 'https' : 'http'}://${this.endpoint}` : undefined;
  }

  /** undefined: anonymous requests (a public bucket). Only the fetcher's S3 client reads this. */
  get credentials(): StorageCredentials | undefined {
    return this.#credentials;
  }

  summary(): StorageSummary {
    return {
      name: this.name,
      scope: this.scope,
      ok: !this.error,
      ...(this.error ? { error: this.error } : {}),
    };
  }

  /** Logged or serialised: the summary, never the credentials. */
  toJSON(): StorageSummary {
    return this.summary();
  }
}

function decryptCredentials(
  def: StorageDefinitionLike,
  cipher: StorageCipher | undefined,
): StorageCredentials | undefined {
  if (!def.keyEncrypted && !def.secretEncrypted) return undefined;
  if (!cipher)
    throw new Error(
      'credentials cannot be decrypted: this node has no storage key (set STORAGE_ENCRYPTION_KEY or CLUSTER_SECRET)',
    );
  try {
    return {
      accessKeyId: cipher.decrypt(def.keyEncrypted, credentialAad(def.name, 'key')),
      secretAccessKey: cipher.decrypt(def.secretEncrypted, credentialAad(def.name, 'secret')),
    };
  } catch (err) {
    throw new Error(`credentials cannot be decrypted: ${(err as Error).message}`, { cause: err });
  }
}

/** Where a URL points: the storage whose scope matches it, the bucket and the key. */
export interface ResolvedObject {
  storage: RegisteredStorage;
  bucket: string;
  key: string;
}

/**
 * The storages of one schema version. A URL resolves to the registration whose scope is the
 * longest prefix of it (as DuckDB and Hugr pick secrets by scope). Immutable: a new version
 * builds a new registry.
 */
export class StorageRegistry {
  static readonly EMPTY = new StorageRegistry([]);
  /** Longest scope first. */
  readonly storages: readonly RegisteredStorage[];

  constructor(storages: RegisteredStorage[]) {
    this.storages = [...storages].sort(
      (a, b) => b.scope.length - a.scope.length || a.name.localeCompare(b.name),
    );
  }

  /** Decrypts the credentials of each definition; one that fails is kept with its `error`. */
  static fromDefinitions(
    defs: readonly StorageDefinitionLike[],
    cipher: StorageCipher | undefined,
  ): StorageRegistry {
    return new StorageRegistry(defs.map((d) => new RegisteredStorage(d, cipher)));
  }

  get(name: string): RegisteredStorage | undefined {
    return this.storages.find((s) => s.name === name);
  }

  resolve(url: string): ResolvedObject {
    const { bucket, key } = parseS3Url(url);
    const target = `s3://${bucket}/${key}`;
    const storage = this.storages.find((s) => target.startsWith(s.scope));
    if (!storage) throw new StorageError('NO_STORAGE', `no storage registered for ${url}`);
    if (storage.error) throw new StorageError('CREDENTIALS', `storage ${storage.name}: ${storage.error}`);
    return { storage, bucket, key };
  }

  summary(): StorageSummary[] {
    return [...this.storages].sort((a, b) => a.name.localeCompare(b.name)).map((s) => s.summary());
  }
}
