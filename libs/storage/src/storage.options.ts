export interface StorageModuleOptions {
  /** Key material (STORAGE_ENCRYPTION_KEY, else CLUSTER_SECRET); undefined = credentials cannot be read. */
  encryptionKey: string | undefined;
  cacheDir: string;
  cacheMaxSizeMb: number;
  revalidateMs: number;
}

export const STORAGE_OPTIONS = Symbol('STORAGE_OPTIONS');
