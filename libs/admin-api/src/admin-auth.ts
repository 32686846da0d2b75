import { Inject, Injectable, Logger, type OnModuleInit } from '@nestjs/common';
import {
  AuthError,
  Authenticator,
  type AuthenticatorOptions,
  CoreDbAuthStore,
  type RequestHeaders,
  loadAuthConfigFile,
} from '@app/auth';
import { CoreDb } from '@app/core-db';
import { AdminError } from './admin.errors.js';

export const ADMIN_AUTH_OPTIONS = Symbol('ADMIN_AUTH_OPTIONS');

export interface AdminAuthOptions {
  secretKey: string | undefined;
  clusterSecret: string | undefined;
  allowManagedApiKeys: boolean;
  authConfigFile: string | undefined;
  oidc?: AuthenticatorOptions['oidc'];
}

/**
 * The management API's credential check (SPEC §7, last paragraph): `x-hugr-secret-key` equal to
 * SECRET_KEY (or CLUSTER_SECRET when SECRET_KEY is unset), or an API key / token whose role is
 * `admin` (managed keys when ALLOW_MANAGED_API_KEYS, static keys and JWT/OIDC from
 * AUTH_CONFIG_FILE). Anonymous callers are never admitted.
 */
@Injectable()
export class AdminAuthService implements OnModuleInit {
  private readonly logger = new Logger('AdminAuth');
  private authenticator!: Authenticator;
  private store!: CoreDbAuthStore;

  constructor(
    @Inject(ADMIN_AUTH_OPTIONS) private readonly options: AdminAuthOptions,
    @Inject(CoreDb) private readonly coreDb: CoreDb,
  ) {}

  async onModuleInit(): Promise<void> {
    const o = this.options;
    const secretKey = o.secretKey ?? o.clusterSecret;
    if (!secretKey) throw new Error('the management API needs SECRET_KEY or CLUSTER_SECRET');
    const file = o.authConfigFile ? await loadAuthConfigFile(o.authConfigFile) : undefined;
    const store = (this.store = new CoreDbAuthStore(this.coreDb.dataSource));
    this.authenticator = new Authenticator(
      {
        secretKey,
        allowedAnonymous: false,
        anonymousRole: 'public',
        allowManagedApiKeys: o.allowManagedApiKeys,
        file: file ? { ...file, anonymous: undefined } : undefined,
        oidc: o.oidc,
      },
      { apiKeys: store, roles: store },
    );
    this.logger.log(`management API credentials: ${this.authenticator.describe().join(', ')}`);
  }

  /** Throws an UNAUTHENTICATED (401) or FORBIDDEN error unless the caller has the admin role. */
  async check(headers: RequestHeaders): Promise<void> {
    let role: string;
    try {
      const identity = await this.authenticator.authenticate(headers);
      if (identity.superuser) return;
      role = identity.role;
    } catch (err) {
      if (err instanceof AuthError)
        throw new AdminError(err.status === 401 ? 'UNAUTHENTICATED' : 'FORBIDDEN', err.message);
      throw err;
    }
    if (role !== 'admin')
      throw new AdminError(
        'FORBIDDEN',
        `the management API needs the admin role (the caller has role "${role}")`,
      );
    const admin = await this.store.loadRole('admin');
    if (!admin || admin.disabled) throw new AdminError('FORBIDDEN', 'the admin role is disabled or missing');
  }
}
