/** How the caller proved who it is. OIDC tokens are `jwt` with provider `oidc`. */
export type AuthType = 'secret' | 'apikey' | 'jwt' | 'anonymous';

/** The authenticated caller, as the engine sees it. */
export interface Identity {
  role: string;
  userId: string;
  userName: string;
  authType: AuthType;
  /** 'secret-key' | 'managed-api-key' | '<static key name>' | '<jwt provider name>' | 'oidc' | 'anonymous' */
  provider: string;
  /** Custom claims usable as `[$auth.<claim>]`: a managed key's `claims`, a JWT's payload. */
  claims: Record<string, unknown>;
  /** True only for `x-hugr-secret-key` callers that did not override the role: no permission rows apply. */
  superuser: boolean;
  /** Who really called, when the identity was overridden (impersonation or secret-key override headers). */
  impersonator?: { role: string; userId: string; userName: string };
}

/** A refused credential. The message is safe to show: it never contains the key or token. */
export class AuthError extends Error {
  constructor(
    readonly status: 401 | 403,
    message: string,
  ) {
    super(message);
    this.name = 'AuthError';
  }
}

/** A managed API key as stored in the core DB (the key itself is never stored, only its hash). */
export interface ManagedApiKey {
  name: string;
  defaultRole: string;
  disabled: boolean;
  /** `null`: never expires. */
  expiresAt: Date | null;
  /** Fixed identity (`role`, `user_id`, `user_name`) and custom claims; cannot be overridden by headers. */
  claims: Record<string, unknown> | null;
  /** Request headers that carry the identity: `{ role?, user_id?, user_name? }` → header names. */
  headers: Record<string, unknown> | null;
}

export interface ApiKeyStore {
  /** `hash` = `hashApiKey(key)`. */
  findByHash(hash: string): Promise<ManagedApiKey | undefined>;
}

export interface PermissionRow {
  typeName: string;
  fieldName: string;
  hidden: boolean;
  disabled: boolean;
  filter: unknown;
  data: unknown;
}

export interface RoleInfo {
  name: string;
  disabled: boolean;
  canImpersonate: boolean;
  permissions: PermissionRow[];
}

export interface RoleStore {
  loadRole(name: string): Promise<RoleInfo | undefined>;
}

/** Node's `IncomingMessage.headers` shape (lower-case names; repeated headers as arrays). */
export type RequestHeaders = Record<string, string | string[] | undefined>;
