import { generateApiKey } from './api-keys.js';
import { expectRefused } from './auth-assertions.js';
import { parseAuthConfig } from './auth-config.js';
import { Authenticator, type AuthenticatorOptions } from './authenticator.js';
import { MemoryAuthStore } from './memory-auth-store.js';

const SECRET = 'unit-secret-key-5f1c0b7e';
const base: AuthenticatorOptions = {
  secretKey: SECRET,
  allowedAnonymous: false,
  anonymousRole: 'public',
  allowManagedApiKeys: false,
};

describe('Authenticator: secret key', () => {
  const auth = new Authenticator(base, {});

  it('gives the admin superuser identity for the right key', async () => {
    await expect(auth.authenticate({ 'x-hugr-secret-key': SECRET })).resolves.toEqual({
      role: 'admin',
      userId: 'admin',
      userName: 'admin',
      authType: 'secret',
      provider: 'secret-key',
      claims: {},
      superuser: true,
    });
  });

  it('reads header names case-insensitively and takes the first of repeated values', async () => {
    const id = await auth.authenticate({ 'X-Hugr-Secret-Key': [SECRET, 'other'], 'X-HUGR-USER-ID': 'u7' });
    expect(id).toMatchObject({ role: 'admin', userId: 'u7', userName: 'u7', superuser: true });
  });

  it('lets x-hugr-role/-user-id/-user-name override the identity; a role override drops superuser', async () => {
    const id = await auth.authenticate({
      'x-hugr-secret-key': SECRET,
      'x-hugr-role': 'viewer',
      'x-hugr-user-id': 'user-123',
      'x-hugr-user-name': 'John Doe',
    });
    expect(id).toEqual({
      role: 'viewer',
      userId: 'user-123',
      userName: 'John Doe',
      authType: 'secret',
      provider: 'secret-key',
      claims: {},
      superuser: false,
      impersonator: { role: 'admin', userId: 'admin', userName: 'admin' },
    });
  });

  it('refuses a wrong key, and any key when none is configured, without echoing it', async () => {
    await expectRefused(
      auth.authenticate({ 'x-hugr-secret-key': 'wrong-key-9d8c7b' }),
      401,
      /invalid secret key/,
      'wrong-key-9d8c7b',
    );
    await expectRefused(
      auth.authenticate({ 'x-hugr-secret-key': `${SECRET}x` }),
      401,
      /invalid secret key/,
      SECRET,
    );
    const noSecret = new Authenticator({ ...base, secretKey: undefined, allowedAnonymous: true }, {});
    await expectRefused(noSecret.authenticate({ 'x-hugr-secret-key': SECRET }), 401, /not enabled/, SECRET);
  });

  it('takes the secret key from the file when SECRET_KEY is unset, SECRET_KEY first otherwise', async () => {
    const file = parseAuthConfig({ secret_key: 'file-secret-key-1234' });
    const fromFile = new Authenticator({ ...base, secretKey: undefined, file }, {});
    await expect(
      fromFile.authenticate({ 'x-hugr-secret-key': 'file-secret-key-1234' }),
    ).resolves.toMatchObject({
      superuser: true,
    });
    const both = new Authenticator({ ...base, file }, {});
    await expectRefused(both.authenticate({ 'x-hugr-secret-key': 'file-secret-key-1234' }), 401, /invalid/);
  });
});

describe('Authenticator: managed API keys', () => {
  const store = new MemoryAuthStore();
  const good = generateApiKey().key;
  const claimed = generateApiKey().key;
  const mapped = generateApiKey().key;
  const disabled = generateApiKey().key;
  const expired = generateApiKey().key;
  const later = generateApiKey().key;
  store
    .addApiKey(good, { name: 'etl', defaultRole: 'loader' })
    .addApiKey(claimed, {
      name: 'svc',
      defaultRole: 'loader',
      claims: { role: 'processor', user_id: 'svc-1', user_name: 'Service', tenant: 't42' },
      headers: { role: 'x-partner-role', user_id: 'x-partner-id' },
    })
    .addApiKey(mapped, {
      name: 'partner',
      defaultRole: 'partner',
      headers: { role: 'x-partner-role', user_id: 'x-partner-id', user_name: 'x-partner-name' },
    })
    .addApiKey(disabled, { name: 'old', disabled: true })
    .addApiKey(expired, { name: 'temp', expiresAt: new Date(Date.now() - 1000) })
    .addApiKey(later, { name: 'temp2', expiresAt: new Date(Date.now() + 60_000) });
  const auth = new Authenticator({ ...base, allowManagedApiKeys: true }, { apiKeys: store });

  it('accepts a stored key: default role, key name as user', async () => {
    await expect(auth.authenticate({ 'x-hugr-api-key': good })).resolves.toEqual({
      role: 'loader',
      userId: 'etl',
      userName: 'etl',
      authType: 'apikey',
      provider: 'managed-api-key',
      claims: {},
      superuser: false,
    });
    await expect(auth.authenticate({ 'x-hugr-api-key': later })).resolves.toMatchObject({ userId: 'temp2' });
  });

  it('takes role and user from claims, which request headers cannot override; claims are exposed', async () => {
    const id = await auth.authenticate({
      'x-hugr-api-key': claimed,
      'x-partner-role': 'admin',
      'x-partner-id': 'x',
    });
    expect(id).toMatchObject({ role: 'processor', userId: 'svc-1', userName: 'Service' });
    expect(id.claims).toEqual({ role: 'processor', user_id: 'svc-1', user_name: 'Service', tenant: 't42' });
  });

  it('reads role and user from the headers the key names, falling back to default role and key name', async () => {
    const id = await auth.authenticate({
      'x-hugr-api-key': mapped,
      'x-partner-role': 'premium',
      'x-partner-id': 'p-123',
      'x-partner-name': 'Acme',
    });
    expect(id).toMatchObject({ role: 'premium', userId: 'p-123', userName: 'Acme' });
    await expect(auth.authenticate({ 'x-hugr-api-key': mapped })).resolves.toMatchObject({
      role: 'partner',
      userId: 'partner',
      userName: 'partner',
    });
  });

  it('refuses unknown, disabled, expired and tampered keys with 401, never echoing the key', async () => {
    await expectRefused(
      auth.authenticate({ 'x-hugr-api-key': 'mk_unknown_key_123' }),
      401,
      /invalid API key/,
      'mk_unknown_key_123',
    );
    await expectRefused(auth.authenticate({ 'x-hugr-api-key': disabled }), 401, /disabled/, disabled);
    await expectRefused(auth.authenticate({ 'x-hugr-api-key': expired }), 401, /expired/, expired);
    const tampered = `${good.slice(0, -1)}${good.endsWith('A') ? 'B' : 'A'}`;
    await expectRefused(auth.authenticate({ 'x-hugr-api-key': tampered }), 401, /invalid API key/, tampered);
  });

  it('refuses x-hugr-api-key when managed keys are off (no downgrade to anonymous)', async () => {
    const off = new Authenticator({ ...base, allowedAnonymous: true }, { apiKeys: store });
    await expectRefused(off.authenticate({ 'x-hugr-api-key': good }), 401, /invalid API key/, good);
  });

  it('needs a store when managed keys are enabled', () => {
    expect(() => new Authenticator({ ...base, allowManagedApiKeys: true }, {})).toThrow(/API key store/);
  });
});

describe('Authenticator: static API keys from the file', () => {
  const file = parseAuthConfig({
    api_keys: {
      ci: { key: 'static-ci-key-0123456789', default_role: 'ci' },
      gateway: {
        key: 'static-gw-key-0123456789',
        header: 'X-Gateway-Key',
        default_role: 'gateway',
        headers: { role: 'x-gw-role', user_id: 'x-gw-user', user_name: 'x-gw-name' },
      },
      bearer: { key: 'static-bearer-key-012345', header: 'authorization', default_role: 'legacy' },
    },
  });
  const store = new MemoryAuthStore();
  const managed = generateApiKey().key;
  store.addApiKey(managed, { name: 'db-key', defaultRole: 'loader' });
  const auth = new Authenticator({ ...base, allowManagedApiKeys: true, file }, { apiKeys: store });

  it('accepts a static key on the default header before asking the store', async () => {
    const lookups = store.lookups;
    await expect(auth.authenticate({ 'x-hugr-api-key': 'static-ci-key-0123456789' })).resolves.toEqual({
      role: 'ci',
      userId: 'ci',
      userName: 'ci',
      authType: 'apikey',
      provider: 'ci',
      claims: {},
      superuser: false,
    });
    expect(store.lookups).toBe(lookups);
    await expect(auth.authenticate({ 'x-hugr-api-key': managed })).resolves.toMatchObject({
      userId: 'db-key',
    });
    expect(store.lookups).toBe(lookups + 1);
  });

  it('reads a custom header and the identity headers the key names', async () => {
    const id = await auth.authenticate({
      'x-gateway-key': 'static-gw-key-0123456789',
      'x-gw-role': 'tenant-admin',
      'x-gw-user': 'u-9',
      'x-gw-name': 'Nine',
      'x-hugr-role': 'admin', // not named by this key: ignored
    });
    expect(id).toMatchObject({ role: 'tenant-admin', userId: 'u-9', userName: 'Nine', provider: 'gateway' });
    await expect(auth.authenticate({ 'x-gateway-key': 'static-gw-key-0123456789' })).resolves.toMatchObject({
      role: 'gateway',
      userId: 'gateway',
    });
  });

  it('accepts `Authorization: Bearer <key>` for a key whose header is authorization', async () => {
    await expect(
      auth.authenticate({ authorization: 'Bearer static-bearer-key-012345' }),
    ).resolves.toMatchObject({
      role: 'legacy',
      provider: 'bearer',
    });
    await expectRefused(
      auth.authenticate({ authorization: 'Bearer static-bearer-key-012346' }),
      401,
      /invalid API key/,
      'static-bearer-key-012346',
    );
  });

  it('refuses a wrong static key on its custom header, and a key sent on another key’s header', async () => {
    await expectRefused(
      auth.authenticate({ 'x-gateway-key': 'static-gw-key-0123456780' }),
      401,
      /invalid API key/,
      'static-gw-key-0123456780',
    );
    await expectRefused(
      auth.authenticate({ 'x-gateway-key': 'static-ci-key-0123456789' }),
      401,
      /invalid API key/,
      'static-ci-key-0123456789',
    );
  });
});

describe('Authenticator: anonymous', () => {
  it('is refused when not allowed, and given the anonymous role when allowed', async () => {
    await expectRefused(new Authenticator(base, {}).authenticate({}), 401, /authentication required/);
    const anon = new Authenticator({ ...base, allowedAnonymous: true, anonymousRole: 'guest' }, {});
    await expect(
      anon.authenticate({ 'content-type': 'application/json', 'x-hugr-api-key': '' }),
    ).resolves.toEqual({
      role: 'guest',
      userId: 'anonymous',
      userName: 'anonymous',
      authType: 'anonymous',
      provider: 'anonymous',
      claims: {},
      superuser: false,
    });
  });

  it('is enabled by the file’s anonymous section, with its role', async () => {
    const file = parseAuthConfig({ anonymous: { allowed: true, role: 'visitor' } });
    const anon = new Authenticator({ ...base, file }, {});
    await expect(anon.authenticate({})).resolves.toMatchObject({ role: 'visitor', authType: 'anonymous' });
  });

  it('never downgrades a bad credential to anonymous', async () => {
    const anon = new Authenticator({ ...base, allowedAnonymous: true }, {});
    await expectRefused(
      anon.authenticate({ 'x-hugr-secret-key': 'nope-nope-nope' }),
      401,
      /invalid secret key/,
    );
    await expectRefused(
      anon.authenticate({ authorization: 'Bearer abc.def.ghi' }),
      401,
      /not accepted/,
      'abc.def.ghi',
    );
    await expectRefused(
      anon.authenticate({ authorization: 'Basic dXNlcjpwYXNz' }),
      401,
      /Bearer/,
      'dXNlcjpwYXNz',
    );
  });
});

describe('Authenticator: impersonation', () => {
  const store = new MemoryAuthStore()
    .addRole('support', { canImpersonate: true })
    .addRole('viewer')
    .addRole('retired', { canImpersonate: true, disabled: true });
  const supportKey = generateApiKey().key;
  const viewerKey = generateApiKey().key;
  const retiredKey = generateApiKey().key;
  store
    .addApiKey(supportKey, { name: 'support-desk', defaultRole: 'support' })
    .addApiKey(viewerKey, { name: 'viewer-app', defaultRole: 'viewer', claims: { tenant: 't1' } })
    .addApiKey(retiredKey, { name: 'retired', defaultRole: 'retired' });
  const auth = new Authenticator(
    { ...base, allowManagedApiKeys: true, allowedAnonymous: true, anonymousRole: 'viewer' },
    { apiKeys: store, roles: store },
  );
  const as = {
    'x-hugr-impersonated-role': 'viewer',
    'x-hugr-impersonated-user-id': 'u-42',
    'x-hugr-impersonated-user-name': 'Ann',
  };

  it('is honoured for a superuser (secret key), recording the caller', async () => {
    await expect(auth.authenticate({ 'x-hugr-secret-key': SECRET, ...as })).resolves.toEqual({
      role: 'viewer',
      userId: 'u-42',
      userName: 'Ann',
      authType: 'secret',
      provider: 'secret-key',
      claims: {},
      superuser: false,
      impersonator: { role: 'admin', userId: 'admin', userName: 'admin' },
    });
  });

  it('is honoured for a role with can_impersonate', async () => {
    const id = await auth.authenticate({
      'x-hugr-api-key': supportKey,
      'x-hugr-impersonated-user-id': 'u-7',
    });
    expect(id).toMatchObject({
      role: 'support',
      userId: 'u-7',
      userName: 'u-7',
      superuser: false,
      impersonator: { role: 'support', userId: 'support-desk', userName: 'support-desk' },
    });
  });

  it('is refused with 403 for roles without the right, disabled roles and anonymous callers', async () => {
    await expectRefused(
      auth.authenticate({ 'x-hugr-api-key': viewerKey, ...as }),
      403,
      /viewer is not allowed to impersonate/,
    );
    await expectRefused(auth.authenticate({ 'x-hugr-api-key': retiredKey, ...as }), 403, /not allowed/);
    await expectRefused(auth.authenticate({ 'x-hugr-impersonated-role': 'support' }), 403, /not allowed/);
  });

  it('is refused for a role override combined with impersonation, and without a role store', async () => {
    await expectRefused(
      auth.authenticate({ 'x-hugr-secret-key': SECRET, 'x-hugr-role': 'support', ...as }),
      403,
      /cannot be combined/,
    );
    const noRoles = new Authenticator({ ...base, allowManagedApiKeys: true }, { apiKeys: store });
    await expectRefused(noRoles.authenticate({ 'x-hugr-api-key': supportKey, ...as }), 403, /not allowed/);
  });

  it('leaves identities alone when no impersonation header is sent', async () => {
    await expect(auth.authenticate({ 'x-hugr-api-key': viewerKey })).resolves.toMatchObject({
      role: 'viewer',
      claims: { tenant: 't1' },
    });
  });
});

describe('Authenticator.describe', () => {
  it('lists providers without keys', () => {
    const file = parseAuthConfig({
      api_keys: { ci: { key: 'static-ci-key-0123456789', default_role: 'ci' } },
    });
    const lines = new Authenticator({ ...base, allowedAnonymous: true, file }, {}).describe();
    expect(lines).toEqual([
      'secret key (x-hugr-secret-key)',
      'static API key ci (x-hugr-api-key)',
      'anonymous (role public)',
    ]);
    expect(lines.join('\n')).not.toContain('static-ci-key');
  });
});
