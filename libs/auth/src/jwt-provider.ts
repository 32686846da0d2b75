import type { KeyObject } from 'node:crypto';
import {
  createLocalJWKSet,
  createRemoteJWKSet,
  jwtVerify,
  type JSONWebKeySet,
  type JWTPayload,
  type JWTVerifyGetKey,
} from 'jose';
import { ASYMMETRIC_ALGORITHMS, HMAC_ALGORITHMS, parsePublicKey } from './auth-config.js';
import { AuthError, type Identity, type RequestHeaders } from './auth.types.js';
import { headerValue } from './request-headers.js';

/** Where a provider gets its verification keys. */
export type JwtKeySource =
  | { kind: 'public_key'; pem: string }
  | { kind: 'jwks'; jwks: Record<string, unknown> }
  | { kind: 'jwks_url'; url: string }
  | { kind: 'secret'; secret: string }
  | { kind: 'discovery' };

export interface JwtProviderOptions {
  /** Provider name (`oidc` for the OIDC provider): `Identity.provider`. */
  name: string;
  issuer: string;
  keys: JwtKeySource;
  /** Accepted `alg` values; default: those of the key type (asymmetric), HS* only for a secret. */
  algorithms?: string[];
  /** Required `aud` (any of). */
  audience?: string | string[];
  /** OIDC client id: `aud` contains it or `azp` equals it. */
  clientId?: string;
  cookieName?: string;
  scopeRolePrefix?: string;
  roleHeader?: string;
  rolePriority?: string[];
  defaultRole?: string;
  clockToleranceMs: number;
  timeoutMs: number;
  claims: { role: string; userId: string; userName: string };
}

/** A failed OIDC discovery is not retried for this long (every request would hit the IdP). */
const DISCOVERY_RETRY_MS = 5000;

/** One JWT issuer: verifies its tokens and maps their claims to an identity. */
export class JwtProvider {
  private readonly algorithms: string[];
  private readonly staticKey?: KeyObject | Uint8Array | JWTVerifyGetKey;
  private discovered?: Promise<JWTVerifyGetKey>;
  private discoveryFailedAt = 0;

  constructor(readonly options: JwtProviderOptions) {
    const k = options.keys;
    let defaults: readonly string[] = ASYMMETRIC_ALGORITHMS;
    if (k.kind === 'public_key') {
      const key = parsePublicKey(k.pem);
      this.staticKey = key;
      defaults = algorithmsForKey(key);
    } else if (k.kind === 'jwks') {
      const set = (Array.isArray(k.jwks.keys) ? k.jwks : { keys: [k.jwks] }) as unknown as JSONWebKeySet;
      this.staticKey = createLocalJWKSet(set);
    } else if (k.kind === 'jwks_url') {
      this.staticKey = createRemoteJWKSet(new URL(k.url), { timeoutDuration: options.timeoutMs });
    } else if (k.kind === 'secret') {
      this.staticKey = new TextEncoder().encode(k.secret);
      defaults = HMAC_ALGORITHMS;
    }
    // `none` can never be configured (the config schema has no such value); filter anyway.
    this.algorithms = (options.algorithms ?? [...defaults]).filter((a) => a.toLowerCase() !== 'none');
  }

  get name(): string {
    return this.options.name;
  }
  get issuer(): string {
    return this.options.issuer;
  }
  get cookieName(): string | undefined {
    return this.options.cookieName;
  }

  /** Verifies signature, `alg`, `iss`, `aud`, `exp`, `nbf`; throws AuthError(401) with a short reason. */
  async verify(token: string): Promise<JWTPayload> {
    const o = this.options;
    try {
      const key = this.staticKey ?? (await this.discoveredKeys());
      const verifyOptions = {
        issuer: issuerVariants(o.issuer),
        audience: o.audience,
        algorithms: this.algorithms,
        clockTolerance: o.clockToleranceMs / 1000,
      };
      const { payload } =
        typeof key === 'function'
          ? await jwtVerify(token, key, verifyOptions)
          : await jwtVerify(token, key, verifyOptions);
      if (o.clientId !== undefined && !issuedFor(payload, o.clientId)) {
        throw new AuthError(401, 'audience not accepted');
      }
      return payload;
    } catch (err) {
      throw this.failure(err);
    }
  }

  /** The identity a verified token carries. Throws AuthError(403) when no role can be assigned. */
  identity(payload: JWTPayload, headers: RequestHeaders): Identity {
    const o = this.options;
    const fromClaim = stringsOf(claimAt(payload, o.claims.role));
    let granted = fromClaim.length > 0 ? fromClaim : this.scopeRoles(payload);
    if (granted.length === 0 && o.defaultRole !== undefined) granted = [o.defaultRole];
    let role: string | undefined;
    const requested = o.roleHeader ? headerValue(headers, o.roleHeader) : undefined;
    if (requested !== undefined) {
      if (!granted.includes(requested))
        throw new AuthError(403, 'requested role is not granted by the token');
      role = requested;
    } else {
      role = o.rolePriority?.find((r) => granted.includes(r)) ?? granted[0];
    }
    if (role === undefined)
      throw new AuthError(403, 'token carries no role and the provider has no default role');
    const userId = scalarString(claimAt(payload, o.claims.userId)) ?? '';
    const userName = scalarString(claimAt(payload, o.claims.userName)) ?? userId;
    return {
      role,
      userId,
      userName,
      authType: 'jwt',
      provider: o.name,
      claims: { ...payload },
      superuser: false,
    };
  }

  private scopeRoles(payload: JWTPayload): string[] {
    const prefix = this.options.scopeRolePrefix;
    if (!prefix) return [];
    const scopes = ['scope', 'scp', 'scopes'].flatMap((c) => {
      const v = payload[c];
      return typeof v === 'string' ? v.split(/\s+/) : stringsOf(v);
    });
    return scopes
      .filter((s) => s.startsWith(prefix) && s.length > prefix.length)
      .map((s) => s.slice(prefix.length));
  }

  /** OIDC: jwks_uri from the discovery document, fetched once and cached (a failure is retried later). */
  private discoveredKeys(): Promise<JWTVerifyGetKey> {
    if (!this.discovered) {
      if (Date.now() - this.discoveryFailedAt < DISCOVERY_RETRY_MS) {
        return Promise.reject(new AuthError(401, 'signing keys unavailable'));
      }
      this.discovered = this.discover().catch((err: unknown) => {
        this.discovered = undefined;
        this.discoveryFailedAt = Date.now();
        throw err;
      });
    }
    return this.discovered;
  }

  private async discover(): Promise<JWTVerifyGetKey> {
    const o = this.options;
    const url = `${o.issuer.replace(/\/+$/, '')}/.well-known/openid-configuration`;
    let doc: { issuer?: unknown; jwks_uri?: unknown };
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(o.timeoutMs), redirect: 'error' });
      if (!res.ok) throw new Error(`HTTP ${res.status}`);
      doc = (await res.json()) as typeof doc;
    } catch {
      throw new AuthError(401, 'signing keys unavailable');
    }
    // OpenID Connect Discovery §4.3: the document's issuer must be the configured one.
    if (
      typeof doc.issuer !== 'string' ||
      !sameIssuer(doc.issuer, o.issuer) ||
      typeof doc.jwks_uri !== 'string' ||
      !URL.canParse(doc.jwks_uri)
    ) {
      throw new AuthError(401, 'signing keys unavailable');
    }
    return createRemoteJWKSet(new URL(doc.jwks_uri), { timeoutDuration: o.timeoutMs });
  }

  private failure(err: unknown): AuthError {
    if (err instanceof AuthError) return err;
    const e = err as { code?: string; claim?: string };
    switch (e.code) {
      case 'ERR_JWT_EXPIRED':
        return new AuthError(401, 'token expired');
      case 'ERR_JWT_CLAIM_VALIDATION_FAILED':
        if (e.claim === 'nbf') return new AuthError(401, 'token not yet valid');
        if (e.claim === 'iss') return new AuthError(401, 'issuer not accepted');
        if (e.claim === 'aud') return new AuthError(401, 'audience not accepted');
        if (e.claim === 'iat') return new AuthError(401, 'token issued in the future');
        return new AuthError(401, 'token claims invalid');
      case 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED':
        return new AuthError(401, 'signature invalid');
      case 'ERR_JOSE_ALG_NOT_ALLOWED':
      case 'ERR_JOSE_NOT_SUPPORTED':
        return new AuthError(401, 'token algorithm not accepted');
      case 'ERR_JWKS_NO_MATCHING_KEY':
        return new AuthError(401, 'signing key not found');
      case 'ERR_JWKS_TIMEOUT':
      case 'ERR_JWKS_INVALID':
        return new AuthError(401, 'signing keys unavailable');
      case 'ERR_JWS_INVALID':
      case 'ERR_JWT_INVALID':
        return new AuthError(401, 'malformed token');
    }
    // Not a JOSE error: for remote keys that is the fetch failing; otherwise a key/alg mismatch.
    const remote = this.options.keys.kind === 'jwks_url' || this.options.keys.kind === 'discovery';
    return new AuthError(401, remote && !e.code ? 'signing keys unavailable' : 'token invalid');
  }
}

/**
 * Issuers compare exactly, except for a trailing slash: Auth0 issues `https://tenant/` while the
 * OIDC_ISSUER parser drops the slash. Both spellings name the same issuer.
 */
export function issuerKey(issuer: string): string {
  return issuer.replace(/\/+$/, '');
}
function issuerVariants(issuer: string): string[] {
  return [issuerKey(issuer), `${issuerKey(issuer)}/`];
}
function sameIssuer(a: string, b: string): boolean {
  return issuerKey(a) === issuerKey(b);
}

/** The asymmetric algorithms a public key can verify. */
function algorithmsForKey(key: KeyObject): string[] {
  switch (key.asymmetricKeyType) {
    case 'rsa':
      return ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512'];
    case 'rsa-pss':
      return ['PS256', 'PS384', 'PS512'];
    case 'ec': {
      const curve = key.asymmetricKeyDetails?.namedCurve;
      const byCurve: Record<string, string> = { prime256v1: 'ES256', secp384r1: 'ES384', secp521r1: 'ES512' };
      return curve && byCurve[curve] ? [byCurve[curve]] : ['ES256', 'ES384', 'ES512'];
    }
    case 'ed25519':
      return ['EdDSA', 'Ed25519'];
    default:
      return [...ASYMMETRIC_ALGORITHMS];
  }
}

/** OIDC tokens name the client in `aud` (ID tokens) or `azp` (access tokens of e.g. Keycloak). */
function issuedFor(payload: JWTPayload, clientId: string): boolean {
  const aud = payload.aud;
  if (aud === clientId || (Array.isArray(aud) && aud.includes(clientId))) return true;
  return payload.azp === clientId;
}

/** A claim by name, or by dotted path (`realm_access.roles`) when no claim has that literal name. */
export function claimAt(payload: Record<string, unknown>, name: string): unknown {
  if (name in payload) return payload[name];
  let v: unknown = payload;
  for (const part of name.split('.')) {
    if (v === null || typeof v !== 'object' || Array.isArray(v)) return undefined;
    v = (v as Record<string, unknown>)[part];
  }
  return v;
}

function stringsOf(v: unknown): string[] {
  if (typeof v === 'string') return v === '' ? [] : [v];
  if (Array.isArray(v)) return v.filter((x): x is string => typeof x === 'string' && x !== '');
  return [];
}

function scalarString(v: unknown): string | undefined {
  if (typeof v === 'string' && v !== '') return v;
  if (typeof v === 'number' || typeof v === 'bigint') return String(v);
  return undefined;
}
