import { Inject, Injectable, Logger, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import {
  type ApiKeyStore,
  AuthError,
  Authenticator,
  CoreDbAuthStore,
  type Identity,
  type ManagedApiKey,
  type RequestHeaders,
  type RoleInfo,
  RolePolicy,
  RoleRules,
  type RoleStore,
  loadAuthConfigFile,
  roleDenial,
} from '@app/auth';
import { SchemaSyncService } from '@app/cluster';
import { MUNINN_CONFIG, type MuninnConfig } from '@app/config';
import { CoreDb } from '@app/core-db';
import type { AccessPolicy } from '@app/engine';

/** Who is asking, and the permission rules that apply to them (none for the secret-key admin). */
export interface Caller {
  identity: Identity;
  policy?: AccessPolicy;
  /** The schema version whose roles and permissions were applied to this caller. */
  version: number;
}

/** Entries of the per-version API-key lookup cache (hits and misses). */
const MAX_CACHED_KEYS = 10_000;

/**
 * Authenticates data-API requests and attaches the caller's permission rules (SPEC §7).
 *
 * Role permissions and managed-key lookups are read from the core DB once and cached until the
 * node applies another schema version: management commits every role, permission and API-key
 * change together with a version bump and pushes it, so a change reaches every node as soon as
 * the push is applied (and within one poll interval if a push is missed) — no TTL to wait for.
 */
@Injectable()
export class CallerService implements OnModuleInit, OnModuleDestroy {
  private readonly logger = new Logger('Auth');
  private authenticator!: Authenticator;
  private readonly store: CoreDbAuthStore;
  private generation = -1;
  private roles = new Map<string, Promise<RoleRules | undefined>>();
  private keys = new Map<string, Promise<ManagedApiKey | undefined>>();

  constructor(
    @Inject(MUNINN_CONFIG) private readonly config: MuninnConfig,
    @Inject(CoreDb) coreDb: CoreDb,
    @Inject(SchemaSyncService) private readonly sync: SchemaSyncService,
  ) {
    this.store = new CoreDbAuthStore(coreDb.dataSource);
  }

  /** Reads AUTH_CONFIG_FILE at start: a bad file stops the node with one message. */
  async onModuleInit(): Promise<void> {
    const { auth } = this.config;
    const file = auth.authConfigFile ? await loadAuthConfigFile(auth.authConfigFile) : undefined;
    const apiKeys: ApiKeyStore = {
      findByHash: (hash) => this.cached('keys', hash, () => this.store.findByHash(hash)),
    };
    const roles: RoleStore = {
      loadRole: async (name) => (await this.rules(name))?.role,
    };
    this.authenticator = new Authenticator(
      {
        secretKey: auth.secretKey,
        allowedAnonymous: auth.allowedAnonymous,
        anonymousRole: auth.anonymousRole,
        allowManagedApiKeys: auth.allowManagedApiKeys,
        file,
        oidc: auth.oidc,
      },
      { apiKeys, roles },
    );
    this.logger.log(
      `authentication: secret key ${auth.secretKey ? 'set' : 'unset'}, managed API keys ${
        auth.allowManagedApiKeys ? 'on' : 'off'
      }, anonymous ${auth.allowedAnonymous ? `on (role ${auth.anonymousRole})` : 'off'}${
        file ? `, providers from ${auth.authConfigFile}` : ''
      }`,
    );
  }

  onModuleDestroy(): void {
    this.authenticator?.close();
  }

  /** The caller of a request; throws AuthError (401 bad credentials, 403 unknown/disabled role). */
  async resolve(headers: RequestHeaders): Promise<Caller> {
    const version = this.sync.appliedVersion;
    const identity = await this.authenticator.authenticate(headers);
    if (identity.superuser) return { identity, version };
    const rules = await this.rules(identity.role);
    const denied = roleDenial(rules?.role, identity.role);
    if (denied) throw new AuthError(403, denied);
    return { identity, policy: new RolePolicy(rules!, identity), version };
  }

  private rules(role: string): Promise<RoleRules | undefined> {
    return this.cached('roles', role, async () => {
      const info: RoleInfo | undefined = await this.store.loadRole(role);
      return info ? new RoleRules(info) : undefined;
    });
  }

  /** One lookup per key and schema version; a failed lookup is not remembered. */
  private cached<T>(kind: 'roles' | 'keys', key: string, load: () => Promise<T>): Promise<T> {
    const version = this.sync.appliedVersion;
    if (version !== this.generation) {
      this.generation = version;
      this.roles = new Map();
      this.keys = new Map();
    }
    const map = (kind === 'roles' ? this.roles : this.keys) as Map<string, Promise<T>>;
    let hit = map.get(key);
    if (!hit) {
      if (map.size >= MAX_CACHED_KEYS) map.clear();
      hit = load();
      map.set(key, hit);
      hit.catch(() => map.delete(key));
    }
    return hit;
  }
}
