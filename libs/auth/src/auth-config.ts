import { createPublicKey } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { extname } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';

// The AUTH_CONFIG_FILE format: Hugr's auth providers file (hugr-lab/hugr `auth.md`, `pkg/auth`),
// with snake_case keys (Hugr's YAML spelling with hyphens, `api-keys`, `default-role`, …, is accepted
// too) plus a few additions for JWT verification (jwks, jwks_url, secret, algorithms, audience, …).

/** Algorithms a provider may accept. `none` is not in the list and cannot be configured. */
export const ASYMMETRIC_ALGORITHMS = [
  'RS256',
  'RS384',
  'RS512',
  'PS256',
  'PS384',
  'PS512',
  'ES256',
  'ES384',
  'ES512',
  'EdDSA',
  'Ed25519',
] as const;
export const HMAC_ALGORITHMS = ['HS256', 'HS384', 'HS512'] as const;
const ALL_ALGORITHMS = [...ASYMMETRIC_ALGORITHMS, ...HMAC_ALGORITHMS] as const;

/** Largest accepted JWT clock tolerance: more skew than this is a clock to fix, not to tolerate. */
export const MAX_CLOCK_TOLERANCE_SECONDS = 5;
const RESERVED_HEADERS = ['x-hugr-secret-key', 'cookie'];

/** `500ms`, `30s`, `1m`, `2h`, or a number of seconds → milliseconds. */
function durationMs(max: number, what: string) {
  return z.union([z.number(), z.string()]).transform((v, ctx) => {
    let ms: number;
    if (typeof v === 'number') ms = v * 1000;
    else {
      const m = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h)?\s*$/.exec(v);
      if (!m) {
        ctx.addIssue({ code: 'custom', message: `${what}: expected a duration like 500ms, 5s, 1m` });
        return z.NEVER;
      }
      const unit = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[(m[2] ?? 's') as 'ms' | 's' | 'm' | 'h'];
      ms = Number(m[1]) * unit;
    }
    if (!Number.isFinite(ms) || ms < 0 || ms > max) {
      ctx.addIssue({ code: 'custom', message: `${what}: must be between 0 and ${max / 1000}s` });
      return z.NEVER;
    }
    return Math.round(ms);
  });
}

const headerName = z
  .string()
  .regex(/^[A-Za-z0-9!#$%&'*+.^_`|~-]+$/, 'not a valid HTTP header name')
  .transform((v) => v.toLowerCase())
  .refine((v) => !RESERVED_HEADERS.includes(v), 'this header is reserved');
const cookieName = z.string().regex(/^[A-Za-z0-9!#$%&'*+.^_`|~-]+$/, 'not a valid cookie name');
const roleName = z.string().trim().min(1, 'must not be empty');

/** Hugr spells keys `default_role` in JSON and `default-role` in YAML; accept both. */
function normalizeKeys(input: unknown): unknown {
  if (input === null || typeof input !== 'object' || Array.isArray(input)) return input;
  return Object.fromEntries(Object.entries(input).map(([k, v]) => [k.replaceAll('-', '_'), v]));
}
function fields<T extends z.ZodRawShape>(shape: T) {
  return z.preprocess(normalizeKeys, z.strictObject(shape));
}

/** Which request headers (API keys) or token claims (JWT) carry the identity. */
const identityMapping = fields({
  role: z.string().min(1).optional(),
  user_id: z.string().min(1).optional(),
  user_name: z.string().min(1).optional(),
});
const identityHeaders = fields({
  role: headerName.optional(),
  user_id: headerName.optional(),
  user_name: headerName.optional(),
});

const staticApiKey = fields({
  key: z.string().min(16, 'must be at least 16 characters'),
  /** Request header carrying the key; `authorization` means `Authorization: Bearer <key>`. */
  header: headerName.default('x-hugr-api-key'),
  default_role: roleName,
  headers: identityHeaders.optional(),
});

const jwk = z.looseObject({ kty: z.string() });
const jwtCommon = {
  cookie_name: cookieName.optional(),
  /** Scope `<prefix><role>` (in `scope`, `scp` or `scopes`) assigns the role when the role claim is absent. */
  scope_role_prefix: z.string().min(1).optional(),
  /** Request header that picks one of the roles the token grants. */
  role_header: headerName.optional(),
  /** When the token grants several roles: the first of these it grants wins. */
  role_priority: z.array(roleName).min(1).optional(),
  /** Role when the token names none (else the token is refused with 403). */
  default_role: roleName.optional(),
  clock_tolerance: durationMs(MAX_CLOCK_TOLERANCE_SECONDS * 1000, 'clock tolerance').default(0),
  /** Timeout of a JWKS / discovery request. */
  timeout: durationMs(60_000, 'timeout').default(5000),
  claims: identityMapping.optional(),
};

const jwtProvider = fields({
  issuer: z.string().min(1),
  /** PEM public key (SPKI `PUBLIC KEY`, PKCS#1 `RSA PUBLIC KEY`, or an X.509 certificate), optionally base64-wrapped. */
  public_key: z.string().min(1).optional(),
  /** Inline JWK or JWK Set `{ keys: [...] }`. */
  jwks: z.union([z.strictObject({ keys: z.array(jwk).min(1) }), jwk]).optional(),
  jwks_url: z.url({ protocol: /^https?$/ }).optional(),
  /** Shared HMAC secret: only then are HS256/384/512 accepted. */
  secret: z.string().min(32, 'must be at least 32 characters').optional(),
  algorithms: z.array(z.enum(ALL_ALGORITHMS)).min(1).optional(),
  audience: z.union([z.string().min(1), z.array(z.string().min(1)).min(1)]).optional(),
  ...jwtCommon,
}).superRefine(
  (p, ctx) => {
    // Runs even when fields failed (`when` below), so values may be raw input: check types.
    const sources = (['public_key', 'jwks', 'jwks_url', 'secret'] as const).filter((k) => p[k] !== undefined);
    if (sources.length !== 1) {
      ctx.addIssue({
        code: 'custom',
        message:
          sources.length === 0
            ? 'one of public_key, jwks, jwks_url or secret is required'
            : `only one of ${sources.join(', ')} may be set`,
      });
    }
    if (typeof p.public_key === 'string' && p.public_key !== '' && !publicKeyParses(p.public_key)) {
      ctx.addIssue({ code: 'custom', path: ['public_key'], message: 'not a PEM public key or certificate' });
    }
    const algorithms: unknown[] = Array.isArray(p.algorithms) ? p.algorithms : [];
    const hmac = algorithms.filter((a) => (HMAC_ALGORITHMS as readonly unknown[]).includes(a));
    if (p.secret === undefined && hmac.length > 0) {
      ctx.addIssue({ code: 'custom', path: ['algorithms'], message: `${hmac.join(', ')} need a secret` });
    }
    if (p.secret !== undefined && algorithms.length > 0 && hmac.length !== algorithms.length) {
      ctx.addIssue({
        code: 'custom',
        path: ['algorithms'],
        message: 'with a secret only HS256/384/512 apply',
      });
    }
  },
  { when: () => true },
);

const oidcProvider = fields({
  issuer: z.url({ protocol: /^https?$/ }),
  client_id: z.string().min(1).optional(),
  ...jwtCommon,
  // Accepted for compatibility with Hugr files; used by Hugr's login flow, not by token verification.
  client_secret: z.string().optional(),
  scopes: z.string().optional(),
  redirect_url: z.string().optional(),
  tls_insecure: z.literal(false, 'tls_insecure: true is not supported').optional(),
});

export const authFileSchema = fields({
  /** Admin key (header x-hugr-secret-key); SECRET_KEY from the environment takes precedence. */
  secret_key: z.string().min(16, 'must be at least 16 characters').optional(),
  /** true enables managed API keys (as ALLOW_MANAGED_API_KEYS=true). */
  managed_api_keys: z.boolean().optional(),
  anonymous: fields({ allowed: z.boolean().default(false), role: roleName.optional() }).optional(),
  api_keys: z.record(z.string().min(1), staticApiKey).default({}),
  jwt: z.record(z.string().min(1), jwtProvider).default({}),
  oidc: oidcProvider.optional(),
  // Hugr's login-redirect settings for its web UI: accepted, not used.
  redirect_login_paths: z.array(z.string()).optional(),
  login_url: z.string().optional(),
  redirect_url: z.string().optional(),
}).superRefine(
  (c, ctx) => {
    // Runs even when other parts failed (`when` below), so the value may be partly raw: check shapes.
    const issuers = new Map<string, string>();
    const claim = (issuer: unknown, where: string, path: PropertyKey[]) => {
      if (typeof issuer !== 'string') return;
      const key = issuer.replace(/\/+$/, ''); // a trailing slash does not make another issuer
      const first = issuers.get(key);
      if (first) ctx.addIssue({ code: 'custom', path, message: `issuer is also used by ${first}` });
      else issuers.set(key, where);
    };
    if (isRecord(c.jwt)) {
      for (const [name, p] of Object.entries(c.jwt))
        if (isRecord(p)) claim(p.issuer, `jwt.${name}`, ['jwt', name]);
    }
    if (isRecord(c.oidc)) claim(c.oidc.issuer, 'oidc', ['oidc', 'issuer']);
    if (isRecord(c.api_keys)) {
      const seen = new Map<string, string>();
      for (const [name, k] of Object.entries(c.api_keys)) {
        if (!isRecord(k) || typeof k.key !== 'string') continue;
        const id = `${String(k.header ?? 'x-hugr-api-key').toLowerCase()}\n${k.key}`;
        const first = seen.get(id);
        if (first)
          ctx.addIssue({ code: 'custom', path: ['api_keys', name], message: `same key as ${first}` });
        else seen.set(id, name);
      }
    }
  },
  { when: () => true },
);

/** The parsed AUTH_CONFIG_FILE. */
export type AuthFileConfig = z.output<typeof authFileSchema>;
export type JwtProviderConfig = AuthFileConfig['jwt'][string];
export type OidcFileConfig = NonNullable<AuthFileConfig['oidc']>;
export type StaticApiKeyConfig = AuthFileConfig['api_keys'][string];

/** A bad auth config file: every problem, in one message that names the file. */
export class AuthConfigError extends Error {
  constructor(
    readonly file: string,
    readonly problems: string[],
  ) {
    super(`Invalid auth config file ${file}:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'AuthConfigError';
  }
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

function publicKeyParses(pem: string): boolean {
  try {
    return parsePublicKey(pem).type === 'public';
  } catch {
    return false; // reported as a validation problem by the caller
  }
}

/** A PEM public key, PKCS#1 RSA key or certificate; Hugr also accepts it base64-wrapped (Kubernetes secrets). */
export function parsePublicKey(pem: string) {
  const text = pem.includes('-----BEGIN') ? pem : Buffer.from(pem.trim(), 'base64').toString('utf8');
  return createPublicKey(text);
}

/** Validates an already parsed config object (`source` names it in the error). */
export function parseAuthConfig(raw: unknown, source = 'auth config'): AuthFileConfig {
  const result = authFileSchema.safeParse(raw ?? {});
  if (result.success) return result.data;
  const problems = result.error.issues.map((i) => {
    const path = i.path.map(String).join('.');
    const message = /received undefined$/.test(i.message) ? 'required' : i.message;
    return path ? `${path}: ${message}` : message;
  });
  throw new AuthConfigError(source, problems);
}

/** Reads AUTH_CONFIG_FILE: JSON or YAML (by extension, else by content), validated. */
export async function loadAuthConfigFile(path: string): Promise<AuthFileConfig> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    throw new AuthConfigError(path, [`cannot read the file (${(err as NodeJS.ErrnoException).code ?? err})`]);
  }
  const ext = extname(path).toLowerCase();
  const asJson = ext === '.json' || (ext !== '.yaml' && ext !== '.yml' && /^\s*\{/.test(text));
  let raw: unknown;
  try {
    raw = asJson ? JSON.parse(text) : parseYaml(text);
  } catch (err) {
    // Parser messages quote a line of the file, which may hold a key: report the position only.
    throw new AuthConfigError(path, [`not valid ${asJson ? 'JSON' : 'YAML'} (${parsePosition(err)})`]);
  }
  return parseAuthConfig(raw, path);
}

function parsePosition(err: unknown): string {
  const pos = (err as { linePos?: Array<{ line: number; col: number }> }).linePos?.[0];
  if (pos) return `line ${pos.line}, column ${pos.col}`;
  const json = /at position \d+(?: \(line \d+ column \d+\))?/.exec(String((err as Error)?.message));
  return json ? json[0] : 'unknown position';
}
