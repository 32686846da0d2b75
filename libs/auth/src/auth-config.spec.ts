import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AuthConfigError, loadAuthConfigFile, parseAuthConfig } from './auth-config.js';

const { publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
const PEM = publicKey.export({ type: 'spki', format: 'pem' }).toString();
const RSA_PKCS1 = generateKeyPairSync('rsa', { modulusLength: 2048 })
  .publicKey.export({ type: 'pkcs1', format: 'pem' })
  .toString();

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'muninn-auth-config-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function write(name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

async function configError(p: Promise<unknown>): Promise<AuthConfigError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(AuthConfigError);
  return err as AuthConfigError;
}

const full = {
  secret_key: 'file-secret-key-0123',
  managed_api_keys: true,
  anonymous: { allowed: true, role: 'public' },
  api_keys: {
    ci: { key: 'static-ci-key-0123456789', default_role: 'ci' },
    gw: {
      key: 'static-gw-key-0123456789',
      header: 'X-Gateway-Key',
      default_role: 'gateway',
      headers: { role: 'x-gw-role', user_id: 'x-gw-user', user_name: 'x-gw-name' },
    },
  },
  jwt: {
    corp: {
      issuer: 'https://corp.example.test',
      public_key: PEM,
      audience: ['muninn'],
      cookie_name: 'corp_token',
      scope_role_prefix: 'hugr:role:',
      claims: { role: 'roles', user_id: 'sub', user_name: 'email' },
      clock_tolerance: '5s',
    },
    partner: { issuer: 'https://partner.example.test', jwks_url: 'https://partner.example.test/jwks.json' },
  },
  oidc: {
    issuer: 'https://idp.example.test/realms/main',
    client_id: 'muninn',
    claims: { role: 'realm_access.roles' },
  },
};

describe('loadAuthConfigFile', () => {
  it('reads JSON, applying defaults', async () => {
    const config = await loadAuthConfigFile(write('auth.json', JSON.stringify(full)));
    expect(config.api_keys.ci).toEqual({
      key: 'static-ci-key-0123456789',
      header: 'x-hugr-api-key',
      default_role: 'ci',
    });
    expect(config.api_keys.gw.header).toBe('x-gateway-key');
    expect(config.jwt.corp).toMatchObject({ clock_tolerance: 5000, timeout: 5000, audience: ['muninn'] });
    expect(config.jwt.partner.clock_tolerance).toBe(0);
    expect(config.oidc).toMatchObject({
      issuer: 'https://idp.example.test/realms/main',
      client_id: 'muninn',
    });
    expect(config).toMatchObject({ secret_key: 'file-secret-key-0123', managed_api_keys: true });
  });

  it('reads YAML, including Hugr’s hyphenated keys and ignored Hugr login settings', async () => {
    const yaml = `
managed-api-keys: true
anonymous:
  allowed: true
  role: guest
api-keys:
  ci:
    key: static-ci-key-0123456789
    default-role: ci
    headers:
      user-id: x-ci-user
jwt:
  legacy:
    issuer: https://legacy.example.test
    public-key: |
${RSA_PKCS1.trim()
  .split('\n')
  .map((l) => `      ${l}`)
  .join('\n')}
    scope-role-prefix: "hugr:"
    role-header: x-hugr-role
redirect-login-paths: [/admin]
login-url: /login
`;
    const config = await loadAuthConfigFile(write('auth.yaml', yaml));
    expect(config.managed_api_keys).toBe(true);
    expect(config.anonymous).toEqual({ allowed: true, role: 'guest' });
    expect(config.api_keys.ci).toMatchObject({ default_role: 'ci', headers: { user_id: 'x-ci-user' } });
    expect(config.jwt.legacy).toMatchObject({ scope_role_prefix: 'hugr:', role_header: 'x-hugr-role' });
    expect(config.jwt.legacy.public_key).toContain('BEGIN RSA PUBLIC KEY');
  });

  it('detects JSON content without an extension, and accepts an empty file', async () => {
    await expect(
      loadAuthConfigFile(write('auth-conf', '{"anonymous": {"allowed": true}}')),
    ).resolves.toMatchObject({
      anonymous: { allowed: true },
    });
    await expect(loadAuthConfigFile(write('empty.yaml', ''))).resolves.toEqual({ api_keys: {}, jwt: {} });
  });

  it('reports every problem of a bad file in one error that names the file', async () => {
    const path = write(
      'bad.json',
      JSON.stringify({
        secret_key: 'short',
        anonymus: { allowed: true },
        api_keys: {
          weak: { key: 'weak-key', default_role: '' },
          bad_header: { key: 'static-key-01234567890', header: 'x bad', default_role: 'r' },
          dup: { key: 'static-ci-key-0123456789', default_role: 'r' },
          dup2: { key: 'static-ci-key-0123456789', default_role: 'r' },
        },
        jwt: {
          nokey: { issuer: 'https://a.example.test' },
          twokeys: {
            issuer: 'https://b.example.test',
            public_key: PEM,
            jwks_url: 'https://b.example.test/jwks',
          },
          badpem: { issuer: 'https://c.example.test', public_key: 'not a key' },
          hmac: { issuer: 'https://d.example.test', public_key: PEM, algorithms: ['HS256'] },
          none: { issuer: 'https://e.example.test', public_key: PEM, algorithms: ['none'] },
          skew: { issuer: 'https://f.example.test/', public_key: PEM, clock_tolerance: '1m' },
          same: { issuer: 'https://f.example.test', public_key: PEM },
        },
        oidc: { issuer: 'not a url', tls_insecure: true },
      }),
    );
    const err = await configError(loadAuthConfigFile(path));
    expect(err.message).toContain(path);
    const expected: Array<[string, RegExp]> = [
      ['secret_key', /at least 16/],
      ['', /anonymus/],
      ['api_keys.weak.key', /at least 16/],
      ['api_keys.weak.default_role', /empty/],
      ['api_keys.bad_header.header', /header name/],
      ['api_keys.dup2', /same key as dup/],
      ['jwt.nokey', /one of public_key, jwks, jwks_url or secret/],
      ['jwt.twokeys', /only one of public_key, jwks_url/],
      ['jwt.badpem.public_key', /not a PEM public key/],
      ['jwt.hmac.algorithms', /HS256 need a secret/],
      ['jwt.none.algorithms.0', /Invalid option/],
      ['jwt.skew.clock_tolerance', /between 0 and 5s/],
      ['jwt.same', /issuer is also used by jwt.skew/],
      ['oidc.issuer', /URL/],
      ['oidc.tls_insecure', /not supported/],
    ];
    for (const [where, what] of expected) {
      const line = err.problems.find((p) => (where ? p.startsWith(`${where}: `) : !/^\S+: /.test(p)));
      expect({ where, line }).toEqual({ where, line: expect.stringMatching(what) });
    }
    expect(err.problems).toHaveLength(expected.length);
    for (const secret of ['short', 'weak-key', 'static-ci-key-0123456789']) {
      expect(err.message).not.toContain(secret);
    }
  });

  it('reports unparsable files by position only (the line may hold a key)', async () => {
    const json = await configError(
      loadAuthConfigFile(write('broken.json', '{"secret_key": sk-live-abcdef}')),
    );
    expect(json.problems).toEqual([expect.stringMatching(/^not valid JSON \(/)]);
    expect(json.message).not.toContain('sk-live-abcdef');
    const yaml = await configError(
      loadAuthConfigFile(write('broken.yaml', 'api_keys:\n  a: {key: "sk-live-xyz", : ]\n')),
    );
    expect(yaml.problems).toEqual([expect.stringMatching(/^not valid YAML \(line \d+, column \d+\)$/)]);
    expect(yaml.message).not.toContain('sk-live-xyz');
    const missing = await configError(loadAuthConfigFile(join(dir, 'nope.yaml')));
    expect(missing.message).toMatch(/nope\.yaml[\s\S]*ENOENT/);
  });
});

describe('parseAuthConfig', () => {
  it('accepts inline JWKs and HMAC secrets with HS algorithms', () => {
    const config = parseAuthConfig({
      jwt: {
        inline: { issuer: 'https://i.example.test', jwks: { kty: 'EC', crv: 'P-256', x: 'x', y: 'y' } },
        set: { issuer: 'https://s.example.test', jwks: { keys: [{ kty: 'RSA', n: 'n', e: 'AQAB' }] } },
        hs: { issuer: 'https://h.example.test', secret: 'x'.repeat(32), algorithms: ['HS512'] },
      },
    });
    expect(Object.keys(config.jwt)).toEqual(['inline', 'set', 'hs']);
    expect(() =>
      parseAuthConfig({
        jwt: { hs: { issuer: 'https://h.example.test', secret: 'x'.repeat(32), algorithms: ['RS256'] } },
      }),
    ).toThrow(/only HS256\/384\/512 apply/);
  });
});
