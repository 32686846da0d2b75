import { hashApiKey } from './api-keys.js';
import type { ApiKeyStore, ManagedApiKey, PermissionRow, RoleInfo, RoleStore } from './auth.types.js';

/** API keys and roles held in memory: for tests and for wiring without a core DB. */
export class MemoryAuthStore implements ApiKeyStore, RoleStore {
  private readonly keys = new Map<string, ManagedApiKey>();
  private readonly roles = new Map<string, RoleInfo>();
  /** Number of `findByHash` calls (lets tests see whether the store was asked). */
  lookups = 0;

  /** Stores `key` by its hash, as the core DB does. */
  addApiKey(key: string, record: Partial<ManagedApiKey> & { name: string }): this {
    this.keys.set(hashApiKey(key), {
      defaultRole: 'public',
      disabled: false,
      expiresAt: null,
      claims: null,
      headers: null,
      ...record,
    });
    return this;
  }

  addRole(
    name: string,
    opts: { canImpersonate?: boolean; disabled?: boolean; permissions?: PermissionRow[] } = {},
  ): this {
    this.roles.set(name, {
      name,
      disabled: opts.disabled ?? false,
      canImpersonate: opts.canImpersonate ?? false,
      permissions: opts.permissions ?? [],
    });
    return this;
  }

  async findByHash(hash: string): Promise<ManagedApiKey | undefined> {
    this.lookups++;
    return this.keys.get(hash);
  }

  async loadRole(name: string): Promise<RoleInfo | undefined> {
    return this.roles.get(name);
  }
}
