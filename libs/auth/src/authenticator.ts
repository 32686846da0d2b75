import { decodeJwt, decodeProtectedHeader, type JWTPayload, type ProtectedHeaderParameters } from 'jose';
import { hashApiKey } from './api-keys.js';
import { AuthConfigError, type AuthFileConfig, type StaticApiKeyConfig } from './auth-config.js';
import {
  AuthError,
  type ApiKeyStore,
  type Identity,
  type ManagedApiKey,
  type RequestHeaders,
  type RoleStore,
} from './auth.types.js';
import { JwtProvider, issuerKey, type JwtProviderOptions } from './jwt-provider.js';
import { Secret, cookieValue, headerValue, lowerCaseHeader, lowerCaseHeaders } from './request-headers.js';

export interface AuthenticatorOptions {
  /** SECRET_KEY (wins over the file's `secret_key`). */
  secretKey?: string;
  allowedAnonymous: boolean;
  anonymousRole: string;
  allowManagedApiKeys: boolean;
  /** Parsed AUTH_CONFIG_FILE. */
  file?: AuthFileConfig;
  /** OIDC_* variables; the provider is active when `issuer` is set (the file's `oidc` section wins). */
  oidc?: {
    issuer?: string;
    clientId?: string;
    cookieName?: string;
    usernameClaim: string;
    userIdClaim: string;
    roleClaim: string;
  };
}

export const SECRET_KEY_HEADER = 'x-hugr-secret-key';
export const API_KEY_HEADER = 'x-hugr-api-key';
/** Hugr's default OIDC session cookie (OIDC_COOKIE_NAME). */
export const DEFAULT_OIDC_COOKIE = 'hugr_session';
const OVERRIDE_HEADERS = { role: 'x-hugr-role', userId: 'x-hugr-user-id', userName: 'x-hugr-user-name' };
const IMPERSONATION_HEADERS = {
  role: 'x-hugr-impersonated-role',
  userId: 'x-hugr-impersonated-user-id',
  userName: 'x-hugr-impersonated-user-name',
};
/** The secret-key caller without overrides: one shared, frozen identity (the same for every request). */
const SECRET_KEY_ADMIN: Identity = Object.freeze({
  role: 'admin',
  userId: 'admin',
  userName: 'admin',
  authType: 'secret',
  provider: 'secret-key',
  claims: Object.freeze({}),
  superuser: true,
});
const DEFAULT_JWT_CLAIMS = { role: 'x-hugr-role', userId: 'sub', userName: 'name' };

/**
 * Turns request headers into an Identity (SPEC §7). Providers in order: secret key, API keys
 * (static from the file, then managed from the core DB), JWT/OIDC bearer token or cookie, anonymous.
 * A presented but invalid credential is refused (401), never downgraded to anonymous.
 */
export class Authenticator {
  private readonly secretKey: Secret | undefined;
  private readonly managedKeys: boolean;
  private readonly anonymous: { allowed: boolean; role: string };
  private readonly staticKeys: Array<{ name: string; secret: Secret } & StaticApiKeyConfig>;
  private readonly jwtByIssuer = new Map<string, JwtProvider>();
  private readonly cookieNames: string[];

  constructor(
    options: AuthenticatorOptions,
    private readonly deps: { apiKeys?: ApiKeyStore; roles?: RoleStore },
  ) {
    const file = options.file;
    const secretKey = options.secretKey || file?.secret_key || undefined;
    this.secretKey = secretKey ? new Secret(secretKey) : undefined;
    this.managedKeys = options.allowManagedApiKeys || file?.managed_api_keys === true;
    this.anonymous = file?.anonymous?.allowed
      ? { allowed: true, role: file.anonymous.role ?? options.anonymousRole }
      : { allowed: options.allowedAnonymous, role: options.anonymousRole };
    this.staticKeys = Object.entries(file?.api_keys ?? {}).map(([name, k]) => ({
      name,
      ...k,
      secret: new Secret(k.key),
    }));
    if (this.managedKeys && !deps.apiKeys) {
      throw new Error('Managed API keys are enabled but no API key store was given to the Authenticator');
    }

    const providers = Object.entries(file?.jwt ?? {}).map(
      ([name, p]) =>
        new JwtProvider({
          name,
          issuer: p.issuer,
          keys:
            p.public_key !== undefined
              ? { kind: 'public_key', pem: p.public_key }
              : p.jwks !== undefined
                ? { kind: 'jwks', jwks: p.jwks }
                : p.jwks_url !== undefined
                  ? { kind: 'jwks_url', url: p.jwks_url }
                  : { kind: 'secret', secret: p.secret! },
          algorithms: p.algorithms,
          audience: p.audience,
          ...commonJwtOptions(p),
        }),
    );
    const oidc = oidcOptions(options);
    if (oidc) providers.push(new JwtProvider(oidc));
    const clashes: string[] = [];
    for (const p of providers) {
      const other = this.jwtByIssuer.get(issuerKey(p.issuer));
      if (other) clashes.push(`JWT providers ${other.name} and ${p.name} both accept issuer ${p.issuer}`);
      else this.jwtByIssuer.set(issuerKey(p.issuer), p);
    }
    if (clashes.length > 0) throw new AuthConfigError('auth config', clashes);
    this.cookieNames = [...new Set(providers.flatMap((p) => (p.cookieName ? [p.cookieName] : [])))];
  }

  /** What is enabled, for a start-up log line (names only, never a key). */
  describe(): string[] {
    const out: string[] = [];
    if (this.secretKey) out.push('secret key (x-hugr-secret-key)');
    for (const k of this.staticKeys) out.push(`static API key ${k.name} (${k.header})`);
    if (this.managedKeys) out.push(`managed API keys (${API_KEY_HEADER})`);
    for (const p of this.jwtByIssuer.values()) out.push(`JWT provider ${p.name} (issuer ${p.issuer})`);
    if (this.anonymous.allowed) out.push(`anonymous (role ${this.anonymous.role})`);
    return out;
  }

  /** The caller's identity; throws AuthError (401 bad/missing credential, 403 refused impersonation/role). */
  async authenticate(headers: RequestHeaders): Promise<Identity> {
    const lower = lowerCaseHeaders(headers);
    const caller = await this.authenticateCaller(lower);
    return this.impersonate(caller, lower);
  }

  /** Nothing runs in the background (JWKS caches are passive); kept as the shutdown hook. */
  close(): void {
    this.jwtByIssuer.clear();
  }

  private async authenticateCaller(headers: RequestHeaders): Promise<Identity> {
    const secret = lowerCaseHeader(headers, SECRET_KEY_HEADER);
    if (secret !== undefined) return this.fromSecretKey(secret, headers);

    const staticKey = this.matchStaticKey(headers);
    if (staticKey) return staticKey;
    const apiKey = lowerCaseHeader(headers, API_KEY_HEADER);
    if (apiKey !== undefined && this.managedKeys) return this.fromManagedKey(apiKey, headers);
    const apiKeyPresented =
      apiKey !== undefined ||
      this.staticKeys.some(
        (k) => k.header !== 'authorization' && headerValue(headers, k.header) !== undefined,
      );
    if (apiKeyPresented) throw new AuthError(401, 'invalid API key');

    const authorization = lowerCaseHeader(headers, 'authorization');
    if (authorization !== undefined) {
      const token = bearerToken(authorization);
      if (token === undefined) throw new AuthError(401, 'unsupported authorization scheme (expected Bearer)');
      if (this.jwtByIssuer.size === 0) {
        throw new AuthError(
          401,
          this.staticKeys.some((k) => k.header === 'authorization')
            ? 'invalid API key'
            : 'bearer tokens are not accepted',
        );
      }
      return this.fromToken(token, undefined, headers);
    }
    for (const cookie of this.cookieNames) {
      const token = cookieValue(headers, cookie);
      if (token !== undefined) return this.fromToken(token, cookie, headers);
    }

    if (!this.anonymous.allowed) throw new AuthError(401, 'authentication required');
    return {
      role: this.anonymous.role,
      userId: 'anonymous',
      userName: 'anonymous',
      authType: 'anonymous',
      provider: 'anonymous',
      claims: {},
      superuser: false,
    };
  }

  private fromSecretKey(given: string, headers: RequestHeaders): Identity {
    if (!this.secretKey) throw new AuthError(401, 'secret key authentication is not enabled');
    if (!this.secretKey.matches(given)) throw new AuthError(401, 'invalid secret key');
    const role = lowerCaseHeader(headers, OVERRIDE_HEADERS.role);
    const userId = lowerCaseHeader(headers, OVERRIDE_HEADERS.userId);
    const userName = lowerCaseHeader(headers, OVERRIDE_HEADERS.userName);
    if (role === undefined && userId === undefined && userName === undefined) return SECRET_KEY_ADMIN;
    // Hugr reports secret-key overrides as impersonation by the admin (`me { impersonated_by_* }`).
    return {
      role: role ?? 'admin',
      userId: userId ?? 'admin',
      userName: userName ?? userId ?? 'admin',
      authType: 'secret',
      provider: 'secret-key',
      claims: {},
      superuser: role === undefined,
      impersonator: { role: 'admin', userId: 'admin', userName: 'admin' },
    };
  }

  private matchStaticKey(headers: RequestHeaders): Identity | undefined {
    for (const k of this.staticKeys) {
      let given = headerValue(headers, k.header);
      if (given !== undefined && k.header === 'authorization') given = bearerToken(given);
      if (given === undefined || !k.secret.matches(given)) continue;
      const fromHeader = (h: string | undefined) => (h ? headerValue(headers, h) : undefined);
      const userId = fromHeader(k.headers?.user_id) ?? k.name;
      return {
        role: fromHeader(k.headers?.role) ?? k.default_role,
        userId,
        userName: fromHeader(k.headers?.user_name) ?? userId,
        authType: 'apikey',
        provider: k.name,
        claims: {},
        superuser: false,
      };
    }
    return undefined;
  }

  private async fromManagedKey(key: string, headers: RequestHeaders): Promise<Identity> {
    const record: ManagedApiKey | undefined = await this.deps.apiKeys!.findByHash(hashApiKey(key));
    if (!record) throw new AuthError(401, 'invalid API key');
    if (record.disabled) throw new AuthError(401, 'API key is disabled');
    if (record.expiresAt !== null && record.expiresAt.getTime() <= Date.now()) {
      throw new AuthError(401, 'API key has expired');
    }
    const claims = record.claims ?? {};
    const mapping = record.headers ?? {};
    // Hugr: claims fix the identity (headers cannot override them); mapped headers come next.
    const pick = (field: 'role' | 'user_id' | 'user_name') => {
      const fixed = claims[field];
      if (typeof fixed === 'string' && fixed !== '') return fixed;
      const header = mapping[field];
      return typeof header === 'string' && header !== '' ? headerValue(headers, header) : undefined;
    };
    const userId = pick('user_id') ?? record.name;
    return {
      role: pick('role') ?? record.defaultRole,
      userId,
      userName: pick('user_name') ?? userId,
      authType: 'apikey',
      provider: 'managed-api-key',
      claims: { ...claims },
      superuser: false,
    };
  }

  private async fromToken(
    token: string,
    cookie: string | undefined,
    headers: RequestHeaders,
  ): Promise<Identity> {
    let header: ProtectedHeaderParameters;
    let unverified: JWTPayload;
    try {
      header = decodeProtectedHeader(token);
      unverified = decodeJwt(token);
    } catch {
      throw new AuthError(401, 'malformed token');
    }
    if (typeof header.alg !== 'string' || header.alg.toLowerCase() === 'none') {
      throw new AuthError(401, 'token algorithm not accepted');
    }
    // Pick the provider by the (unverified) issuer; only that provider's keys verify the token.
    const provider =
      typeof unverified.iss === 'string' ? this.jwtByIssuer.get(issuerKey(unverified.iss)) : undefined;
    if (!provider) throw new AuthError(401, 'issuer not accepted');
    // A cookie only carries tokens of the provider that named it.
    if (cookie !== undefined && provider.cookieName !== cookie)
      throw new AuthError(401, 'issuer not accepted');
    const payload = await provider.verify(token);
    return provider.identity(payload, headers);
  }

  private async impersonate(caller: Identity, headers: RequestHeaders): Promise<Identity> {
    const role = lowerCaseHeader(headers, IMPERSONATION_HEADERS.role);
    const userId = lowerCaseHeader(headers, IMPERSONATION_HEADERS.userId);
    const userName = lowerCaseHeader(headers, IMPERSONATION_HEADERS.userName);
    if (role === undefined && userId === undefined && userName === undefined) return caller;
    if (caller.impersonator) {
      throw new AuthError(
        403,
        'impersonation headers cannot be combined with x-hugr-role/-user-id/-user-name',
      );
    }
    if (!caller.superuser) {
      const info = await this.deps.roles?.loadRole(caller.role);
      if (!info || info.disabled || !info.canImpersonate) {
        throw new AuthError(403, `role ${caller.role} is not allowed to impersonate`);
      }
    }
    return {
      role: role ?? caller.role,
      userId: userId ?? caller.userId,
      userName: userName ?? userId ?? caller.userName,
      authType: caller.authType,
      provider: caller.provider,
      // The caller's claims describe the caller, not the impersonated user (as in Hugr).
      claims: {},
      superuser: false,
      impersonator: { role: caller.role, userId: caller.userId, userName: caller.userName },
    };
  }
}

function bearerToken(authorization: string): string | undefined {
  const m = /^Bearer[ \t]+(\S+)[ \t]*$/i.exec(authorization);
  return m ? m[1] : undefined;
}

type CommonJwtConfig = Pick<
  NonNullable<AuthFileConfig['oidc']>,
  | 'cookie_name'
  | 'scope_role_prefix'
  | 'role_header'
  | 'role_priority'
  | 'default_role'
  | 'clock_tolerance'
  | 'timeout'
  | 'claims'
>;

function commonJwtOptions(p: CommonJwtConfig) {
  return {
    cookieName: p.cookie_name,
    scopeRolePrefix: p.scope_role_prefix,
    roleHeader: p.role_header,
    rolePriority: p.role_priority,
    defaultRole: p.default_role,
    clockToleranceMs: p.clock_tolerance,
    timeoutMs: p.timeout,
    claims: {
      role: p.claims?.role ?? DEFAULT_JWT_CLAIMS.role,
      userId: p.claims?.user_id ?? DEFAULT_JWT_CLAIMS.userId,
      userName: p.claims?.user_name ?? DEFAULT_JWT_CLAIMS.userName,
    },
  };
}

/** The OIDC provider: the file's `oidc` section, else the OIDC_* variables. */
function oidcOptions(options: AuthenticatorOptions): JwtProviderOptions | undefined {
  const f = options.file?.oidc;
  if (f) {
    const common = commonJwtOptions(f);
    return {
      name: 'oidc',
      issuer: f.issuer,
      keys: { kind: 'discovery' },
      clientId: f.client_id,
      ...common,
      cookieName: common.cookieName ?? DEFAULT_OIDC_COOKIE,
    };
  }
  const e = options.oidc;
  if (!e?.issuer) return undefined;
  return {
    name: 'oidc',
    issuer: e.issuer,
    keys: { kind: 'discovery' },
    clientId: e.clientId || undefined,
    cookieName: e.cookieName || DEFAULT_OIDC_COOKIE,
    clockToleranceMs: 0,
    timeoutMs: 5000,
    claims: {
      role: e.roleClaim || DEFAULT_JWT_CLAIMS.role,
      userId: e.userIdClaim || DEFAULT_JWT_CLAIMS.userId,
      userName: e.usernameClaim || DEFAULT_JWT_CLAIMS.userName,
    },
  };
}
