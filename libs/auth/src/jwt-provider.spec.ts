import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  base64url,
  exportJWK,
  exportSPKI,
  generateKeyPair,
  SignJWT,
  type CryptoKey,
  type JWK,
  type JWTPayload,
} from 'jose';
import { expectRefused } from './auth-assertions.js';
import { parseAuthConfig } from './auth-config.js';
import { Authenticator, type AuthenticatorOptions } from './authenticator.js';
import { MemoryAuthStore } from './memory-auth-store.js';

const base: AuthenticatorOptions = {
  allowedAnonymous: true,
  anonymousRole: 'public',
  allowManagedApiKeys: false,
};
const ISS = 'https://idp.example.test/realms/main';
const now = () => Math.floor(Date.now() / 1000);

interface Pair {
  publicKey: CryptoKey;
  privateKey: CryptoKey;
}
let rsa: Pair;
let rsaOther: Pair;
let ec: Pair;
let ed: Pair;
let rsaPem: string;
let ecJwk: JWK;

async function sign(
  key: CryptoKey | Uint8Array,
  payload: JWTPayload,
  opts: { alg?: string; kid?: string; iss?: string | null; exp?: number | null } = {},
): Promise<string> {
  const jwt = new SignJWT(payload).setProtectedHeader({
    alg: opts.alg ?? 'RS256',
    ...(opts.kid ? { kid: opts.kid } : {}),
  });
  jwt.setIssuedAt();
  if (opts.iss !== null) jwt.setIssuer(opts.iss ?? ISS);
  if (opts.exp !== null) jwt.setExpirationTime(opts.exp ?? now() + 300);
  return jwt.sign(key);
}

/** A token signed with nothing: header `alg: none` and an empty signature. */
function unsigned(payload: JWTPayload): string {
  const enc = (v: unknown) => base64url.encode(JSON.stringify(v));
  return `${enc({ alg: 'none', typ: 'JWT' })}.${enc(payload)}.`;
}

beforeAll(async () => {
  [rsa, rsaOther, ec, ed] = await Promise.all([
    generateKeyPair('RS256', { extractable: true }),
    generateKeyPair('RS256', { extractable: true }),
    generateKeyPair('ES256', { extractable: true }),
    generateKeyPair('EdDSA', { extractable: true }),
  ]);
  rsaPem = await exportSPKI(rsa.publicKey);
  ecJwk = { ...(await exportJWK(ec.publicKey)), kid: 'ec-1', alg: 'ES256', use: 'sig' };
});

describe('JWT provider with a PEM public key', () => {
  let auth: Authenticator;
  beforeAll(() => {
    const file = parseAuthConfig({
      jwt: {
        main: {
          issuer: ISS,
          public_key: rsaPem,
          audience: 'muninn',
          cookie_name: 'muninn_token',
          claims: { role: 'realm_access.roles', user_id: 'sub', user_name: 'preferred_username' },
          default_role: 'member',
        },
      },
    });
    auth = new Authenticator({ ...base, file }, {});
  });

  const claims = { sub: 'u-1', preferred_username: 'ann', aud: 'muninn', tenant: 't9' };

  it('accepts a valid bearer token; role from a nested claim, custom claims kept', async () => {
    const token = await sign(rsa.privateKey, { ...claims, realm_access: { roles: ['editor', 'viewer'] } });
    const id = await auth.authenticate({ authorization: `Bearer ${token}` });
    expect(id).toMatchObject({
      role: 'editor',
      userId: 'u-1',
      userName: 'ann',
      authType: 'jwt',
      provider: 'main',
    });
    expect(id.superuser).toBe(false);
    expect(id.claims).toMatchObject({ tenant: 't9', iss: ISS, sub: 'u-1' });
  });

  it('falls back to the provider default role; reads the token from the provider cookie', async () => {
    const token = await sign(rsa.privateKey, claims);
    const id = await auth.authenticate({ cookie: `theme=dark; muninn_token=${token}; other=1` });
    expect(id).toMatchObject({ role: 'member', userId: 'u-1' });
  });

  it('refuses expired, not-yet-valid, wrong-issuer, wrong-audience tokens with a short reason', async () => {
    const cases: Array<[Promise<string>, RegExp]> = [
      [sign(rsa.privateKey, claims, { exp: now() - 60 }), /token expired/],
      [sign(rsa.privateKey, { ...claims, nbf: now() + 120 }), /not yet valid/],
      [sign(rsa.privateKey, claims, { iss: 'https://evil.example.test' }), /issuer not accepted/],
      [sign(rsa.privateKey, claims, { iss: null }), /issuer not accepted/],
      [sign(rsa.privateKey, { ...claims, aud: 'someone-else' }), /audience not accepted/],
    ];
    for (const [pending, reason] of cases) {
      const token = await pending;
      await expectRefused(auth.authenticate({ authorization: `Bearer ${token}` }), 401, reason, token);
    }
  });

  it('refuses a token signed by another key, a tampered payload and an unsigned (alg none) token', async () => {
    const foreign = await sign(rsaOther.privateKey, claims);
    await expectRefused(
      auth.authenticate({ authorization: `Bearer ${foreign}` }),
      401,
      /signature invalid/,
      foreign,
    );

    const good = await sign(rsa.privateKey, { ...claims, realm_access: { roles: ['viewer'] } });
    const [h, , s] = good.split('.');
    const forged = base64url.encode(
      JSON.stringify({ ...claims, iss: ISS, exp: now() + 300, realm_access: { roles: ['admin'] } }),
    );
    const tampered = `${h}.${forged}.${s}`;
    await expectRefused(
      auth.authenticate({ authorization: `Bearer ${tampered}` }),
      401,
      /signature invalid/,
      tampered,
    );

    const none = unsigned({ ...claims, iss: ISS, exp: now() + 300 });
    await expectRefused(
      auth.authenticate({ authorization: `Bearer ${none}` }),
      401,
      /algorithm not accepted/,
      none,
    );
  });

  it('refuses an HS256 token signed with the public key as HMAC secret (algorithm confusion)', async () => {
    const confused = await sign(new TextEncoder().encode(rsaPem), claims, { alg: 'HS256' });
    await expectRefused(
      auth.authenticate({ authorization: `Bearer ${confused}` }),
      401,
      /algorithm not accepted/,
      confused,
    );
  });

  it('refuses malformed tokens; ignores cookies no provider names', async () => {
    await expectRefused(
      auth.authenticate({ authorization: 'Bearer not-a-jwt' }),
      401,
      /malformed token/,
      'not-a-jwt',
    );
    await expectRefused(
      auth.authenticate({ cookie: 'muninn_token=not-a-jwt' }),
      401,
      /malformed token/,
      'not-a-jwt',
    );
    const token = await sign(rsa.privateKey, claims);
    await expect(auth.authenticate({ cookie: `hugr_session=${token}` })).resolves.toMatchObject({
      authType: 'anonymous',
    });
  });

  it('refuses a cookie token when its issuer’s provider did not name that cookie', async () => {
    const file = parseAuthConfig({
      jwt: {
        a: { issuer: ISS, public_key: rsaPem, cookie_name: 'a_tok', default_role: 'a' },
        b: { issuer: 'https://b.example.test', public_key: rsaPem, cookie_name: 'b_tok', default_role: 'b' },
      },
    });
    const two = new Authenticator({ ...base, file }, {});
    const token = await sign(rsa.privateKey, claims);
    await expect(two.authenticate({ cookie: `a_tok=${token}` })).resolves.toMatchObject({ provider: 'a' });
    await expectRefused(two.authenticate({ cookie: `b_tok=${token}` }), 401, /issuer not accepted/, token);
  });
});

describe('JWT provider options', () => {
  it('honours a small clock tolerance', async () => {
    const file = parseAuthConfig({
      jwt: { p: { issuer: ISS, public_key: rsaPem, default_role: 'r', clock_tolerance: '5s' } },
    });
    const auth = new Authenticator({ ...base, file }, {});
    const justExpired = await sign(rsa.privateKey, { sub: 'u' }, { exp: now() - 2 });
    await expect(auth.authenticate({ authorization: `Bearer ${justExpired}` })).resolves.toMatchObject({
      role: 'r',
    });
    const longExpired = await sign(rsa.privateKey, { sub: 'u' }, { exp: now() - 30 });
    await expectRefused(
      auth.authenticate({ authorization: `Bearer ${longExpired}` }),
      401,
      /expired/,
      longExpired,
    );
  });

  it('assigns the role from a scope prefix; role_header picks among granted roles; role_priority orders them', async () => {
    const file = parseAuthConfig({
      jwt: {
        p: {
          issuer: ISS,
          jwks: { keys: [ecJwk] },
          scope_role_prefix: 'hugr:role:',
          role_header: 'x-hugr-role',
          role_priority: ['editor', 'viewer'],
        },
      },
    });
    const auth = new Authenticator({ ...base, file }, {});
    const token = await sign(
      ec.privateKey,
      { sub: 'u', scope: 'openid hugr:role:viewer hugr:role:editor' },
      { alg: 'ES256', kid: 'ec-1' },
    );
    await expect(auth.authenticate({ authorization: `Bearer ${token}` })).resolves.toMatchObject({
      role: 'editor',
    });
    await expect(
      auth.authenticate({ authorization: `Bearer ${token}`, 'x-hugr-role': 'viewer' }),
    ).resolves.toMatchObject({
      role: 'viewer',
    });
    await expectRefused(
      auth.authenticate({ authorization: `Bearer ${token}`, 'x-hugr-role': 'admin' }),
      403,
      /not granted/,
      token,
    );
    const noRole = await sign(ec.privateKey, { sub: 'u', scope: 'openid' }, { alg: 'ES256', kid: 'ec-1' });
    await expectRefused(auth.authenticate({ authorization: `Bearer ${noRole}` }), 403, /no role/, noRole);
  });

  it('accepts HMAC tokens only from a provider configured with a secret', async () => {
    const secret = 'an-hmac-secret-of-at-least-32-chars!';
    const file = parseAuthConfig({
      jwt: {
        h: { issuer: 'https://hmac.example.test', secret, default_role: 'svc' },
        a: { issuer: ISS, public_key: rsaPem },
      },
    });
    const auth = new Authenticator({ ...base, file }, {});
    const good = await sign(
      new TextEncoder().encode(secret),
      { sub: 's' },
      { alg: 'HS256', iss: 'https://hmac.example.test' },
    );
    await expect(auth.authenticate({ authorization: `Bearer ${good}` })).resolves.toMatchObject({
      role: 'svc',
      provider: 'h',
    });
    const wrong = await sign(
      new TextEncoder().encode(`${secret}x`),
      { sub: 's' },
      { alg: 'HS256', iss: 'https://hmac.example.test' },
    );
    await expectRefused(
      auth.authenticate({ authorization: `Bearer ${wrong}` }),
      401,
      /signature invalid/,
      wrong,
      secret,
    );
    // The same kind of token for the RSA provider's issuer is refused by algorithm.
    const forRsa = await sign(
      new TextEncoder().encode(secret),
      { sub: 's', 'x-hugr-role': 'admin' },
      { alg: 'HS256' },
    );
    await expectRefused(
      auth.authenticate({ authorization: `Bearer ${forRsa}` }),
      401,
      /algorithm not accepted/,
      forRsa,
    );
  });

  it('picks the provider by issuer: each verifies only its own tokens', async () => {
    const edPem = await exportSPKI(ed.publicKey);
    const file = parseAuthConfig({
      jwt: {
        a: { issuer: 'https://a.example.test', public_key: rsaPem, default_role: 'a' },
        b: { issuer: 'https://b.example.test/', public_key: edPem, default_role: 'b' },
      },
    });
    const auth = new Authenticator({ ...base, file }, {});
    const forA = await sign(rsa.privateKey, { sub: 'x' }, { iss: 'https://a.example.test' });
    const forB = await sign(ed.privateKey, { sub: 'y' }, { alg: 'EdDSA', iss: 'https://b.example.test/' });
    await expect(auth.authenticate({ authorization: `Bearer ${forA}` })).resolves.toMatchObject({
      provider: 'a',
      role: 'a',
    });
    await expect(auth.authenticate({ authorization: `Bearer ${forB}` })).resolves.toMatchObject({
      provider: 'b',
      role: 'b',
    });
    // A's key presented under B's issuer: B verifies it, and refuses.
    const crossed = await sign(rsa.privateKey, { sub: 'x' }, { iss: 'https://b.example.test/' });
    await expectRefused(
      auth.authenticate({ authorization: `Bearer ${crossed}` }),
      401,
      /algorithm not accepted|signature/,
      crossed,
    );
  });

  it('does not let JWT callers impersonate unless their role may', async () => {
    const store = new MemoryAuthStore().addRole('ops', { canImpersonate: true }).addRole('dev');
    const file = parseAuthConfig({ jwt: { p: { issuer: ISS, public_key: rsaPem } } });
    const auth = new Authenticator({ ...base, file }, { roles: store });
    const ops = await sign(rsa.privateKey, { sub: 'o', 'x-hugr-role': 'ops' });
    const dev = await sign(rsa.privateKey, { sub: 'd', 'x-hugr-role': 'dev' });
    const as = { 'x-hugr-impersonated-role': 'dev', 'x-hugr-impersonated-user-id': 'd2' };
    await expect(auth.authenticate({ authorization: `Bearer ${ops}`, ...as })).resolves.toMatchObject({
      role: 'dev',
      userId: 'd2',
      claims: {},
      impersonator: { role: 'ops', userId: 'o' },
    });
    await expectRefused(
      auth.authenticate({ authorization: `Bearer ${dev}`, ...as }),
      403,
      /not allowed to impersonate/,
      dev,
    );
  });
});

describe('JWKS URL and OIDC discovery over HTTP', () => {
  let server: Server;
  let origin: string;
  const hits: Record<string, number> = {};
  let discoveryIssuer: (origin: string) => string = (o) => `${o}/realms/test`;

  beforeAll(async () => {
    const rsaJwk = { ...(await exportJWK(rsa.publicKey)), kid: 'rsa-1', alg: 'RS256', use: 'sig' };
    server = createServer((req, res) => {
      const path = req.url ?? '';
      hits[path] = (hits[path] ?? 0) + 1;
      const json = (body: unknown) => {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify(body));
      };
      if (path === '/jwks.json') return json({ keys: [rsaJwk, ecJwk] });
      if (path === '/realms/test/.well-known/openid-configuration') {
        return json({ issuer: discoveryIssuer(origin), jwks_uri: `${origin}/jwks.json` });
      }
      res.writeHead(404).end();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  it('verifies tokens with keys from a JWKS URL (by kid), and refuses unknown kids', async () => {
    const file = parseAuthConfig({
      jwt: { remote: { issuer: ISS, jwks_url: `${origin}/jwks.json`, default_role: 'r' } },
    });
    const auth = new Authenticator({ ...base, file }, {});
    const rs = await sign(rsa.privateKey, { sub: 'a' }, { kid: 'rsa-1' });
    const es = await sign(ec.privateKey, { sub: 'b' }, { alg: 'ES256', kid: 'ec-1' });
    await expect(auth.authenticate({ authorization: `Bearer ${rs}` })).resolves.toMatchObject({
      userId: 'a',
    });
    await expect(auth.authenticate({ authorization: `Bearer ${es}` })).resolves.toMatchObject({
      userId: 'b',
    });
    const unknownKid = await sign(rsaOther.privateKey, { sub: 'c' }, { kid: 'rsa-2' });
    await expectRefused(
      auth.authenticate({ authorization: `Bearer ${unknownKid}` }),
      401,
      /signing key not found/,
      unknownKid,
    );
    const forged = await sign(rsaOther.privateKey, { sub: 'c' }, { kid: 'rsa-1' });
    await expectRefused(
      auth.authenticate({ authorization: `Bearer ${forged}` }),
      401,
      /signature invalid/,
      forged,
    );
    auth.close();
  });

  it('OIDC from the environment: discovers jwks_uri once, checks the client id, reads hugr_session', async () => {
    const issuer = `${origin}/realms/test`;
    const auth = new Authenticator(
      {
        ...base,
        oidc: {
          issuer,
          clientId: 'muninn-ui',
          usernameClaim: 'preferred_username',
          userIdClaim: 'sub',
          roleClaim: 'roles',
        },
      },
      {},
    );
    const before = hits['/realms/test/.well-known/openid-configuration'] ?? 0;
    const token = await sign(
      rsa.privateKey,
      { sub: 'k-1', preferred_username: 'kim', roles: ['analyst'], aud: 'account', azp: 'muninn-ui' },
      { kid: 'rsa-1', iss: issuer },
    );
    const id = await auth.authenticate({ authorization: `Bearer ${token}` });
    expect(id).toMatchObject({
      role: 'analyst',
      userId: 'k-1',
      userName: 'kim',
      authType: 'jwt',
      provider: 'oidc',
    });
    await expect(auth.authenticate({ cookie: `hugr_session=${token}` })).resolves.toMatchObject({
      userId: 'k-1',
    });
    expect(hits['/realms/test/.well-known/openid-configuration']).toBe(before + 1);

    const otherClient = await sign(
      rsa.privateKey,
      { sub: 'k-1', roles: ['analyst'], aud: 'other' },
      { kid: 'rsa-1', iss: issuer },
    );
    await expectRefused(
      auth.authenticate({ authorization: `Bearer ${otherClient}` }),
      401,
      /audience not accepted/,
      otherClient,
    );
    const expired = await sign(
      rsa.privateKey,
      { sub: 'k-1', roles: ['analyst'], aud: 'muninn-ui' },
      { kid: 'rsa-1', iss: issuer, exp: now() - 10 },
    );
    await expectRefused(
      auth.authenticate({ authorization: `Bearer ${expired}` }),
      401,
      /token expired/,
      expired,
    );
    const noRole = await sign(
      rsa.privateKey,
      { sub: 'k-1', aud: 'muninn-ui' },
      { kid: 'rsa-1', iss: issuer },
    );
    await expectRefused(auth.authenticate({ authorization: `Bearer ${noRole}` }), 403, /no role/, noRole);
  });

  it('refuses tokens with 401 while the JWKS endpoint is unreachable', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    const file = parseAuthConfig({
      jwt: { down: { issuer: ISS, jwks_url: `http://127.0.0.1:${port}/jwks.json`, timeout: '1s' } },
    });
    const auth = new Authenticator({ ...base, file }, {});
    const token = await sign(rsa.privateKey, { sub: 'a', 'x-hugr-role': 'r' }, { kid: 'rsa-1' });
    await expectRefused(
      auth.authenticate({ authorization: `Bearer ${token}` }),
      401,
      /signing keys unavailable/,
      token,
    );
  });

  it('OIDC: refuses tokens when the discovery document names another issuer', async () => {
    const issuer = `${origin}/realms/test`;
    discoveryIssuer = () => 'https://impostor.example.test';
    try {
      const auth = new Authenticator(
        { ...base, oidc: { issuer, usernameClaim: 'name', userIdClaim: 'sub', roleClaim: 'x-hugr-role' } },
        {},
      );
      const token = await sign(
        rsa.privateKey,
        { sub: 'k', 'x-hugr-role': 'r' },
        { kid: 'rsa-1', iss: issuer },
      );
      await expectRefused(
        auth.authenticate({ authorization: `Bearer ${token}` }),
        401,
        /signing keys unavailable/,
        token,
      );
    } finally {
      discoveryIssuer = (o) => `${o}/realms/test`;
    }
  });

  it('OIDC from the file wins over the environment and rejects a JWT provider with the same issuer', async () => {
    const issuer = `${origin}/realms/test`;
    const file = parseAuthConfig({
      oidc: { issuer, client_id: 'ui', claims: { role: 'grp' }, cookie_name: 'sess' },
    });
    const auth = new Authenticator(
      {
        ...base,
        file,
        oidc: {
          issuer: 'https://unused.example.test',
          usernameClaim: 'name',
          userIdClaim: 'sub',
          roleClaim: 'r',
        },
      },
      {},
    );
    const token = await sign(
      rsa.privateKey,
      { sub: 'f', grp: 'staff', aud: 'ui' },
      { kid: 'rsa-1', iss: issuer },
    );
    await expect(auth.authenticate({ cookie: `sess=${token}` })).resolves.toMatchObject({
      role: 'staff',
      provider: 'oidc',
    });

    const clash = parseAuthConfig({ jwt: { x: { issuer, public_key: rsaPem } } });
    expect(
      () =>
        new Authenticator(
          {
            ...base,
            file: clash,
            oidc: { issuer, usernameClaim: 'name', userIdClaim: 'sub', roleClaim: 'r' },
          },
          {},
        ),
    ).toThrow(/both accept issuer/);
  });
});
