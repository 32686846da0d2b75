import { Inject, Injectable, Logger, type OnModuleDestroy } from '@nestjs/common';
import { type ObjectResolver, ObjectFetcher } from './object-fetcher.js';
import { StorageCipher } from './storage-cipher.js';
import { type StorageDefinitionLike, StorageRegistry } from './storage-registry.js';
import { STORAGE_OPTIONS, type StorageModuleOptions } from './storage.options.js';

/**
 * A work node's object storages: the registry of the newest applied definitions and the fetcher
 * with its local cache. The schema applier calls `apply` with each version's storages.
 */
@Injectable()
export class StorageService implements OnModuleDestroy {
  private readonly logger = new Logger('Storage');
  private readonly cipher: StorageCipher | undefined;
  readonly fetcher: ObjectFetcher;

  constructor(@Inject(STORAGE_OPTIONS) options: StorageModuleOptions) {
    this.cipher = options.encryptionKey ? new StorageCipher(options.encryptionKey) : undefined;
    this.fetcher = new ObjectFetcher({
      cacheDir: options.cacheDir,
      maxBytes: options.cacheMaxSizeMb * 1024 * 1024,
      revalidateMs: options.revalidateMs,
      logger: { debug: (m) => this.logger.debug(m), warn: (m) => this.logger.warn(m) },
    });
  }

  get registry(): StorageRegistry {
    return this.fetcher.registry;
  }

  /** Decrypts and installs the storages of a version; one that cannot be used is reported and kept out. */
  apply(storages: readonly StorageDefinitionLike[]): StorageRegistry {
    const registry = StorageRegistry.fromDefinitions(storages, this.cipher);
    for (const s of registry.storages.filter((st) => st.error))
      this.logger.warn(`storage ${s.name} (${s.scope}) cannot be used: ${s.error}`);
    this.fetcher.useRegistry(registry);
    return registry;
  }

  /** `s3://` URL → local paths, against `registry` (default: the newest). */
  resolverFor(registry?: StorageRegistry): ObjectResolver {
    return this.fetcher.resolverFor(registry);
  }

  async onModuleDestroy(): Promise<void> {
    await this.fetcher.close();
  }
}
