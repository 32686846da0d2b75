import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Authenticator, CoreDbAuthStore, generateApiKey, hashApiKey } from '@app/auth';
import { CoreDb } from '@app/core-db';
import type { CoreDbLocation } from '@app/config';
import { createTestDatabase } from './support/postgres.js';

// CoreDbAuthStore on the real core DB schema (migrations run), on PostgreSQL and on embedded PGlite.

const SECRET = 'e2e-auth-store-secret-7a1f';

async function openCore(location: CoreDbLocation): Promise<CoreDb> {
  return CoreDb.open({
    location,
    readonly: false,
    embeddedPort: 0,
    migrations: 'run',
    version: 'test',
    applicationName: 'auth-store-e2e',
  });
}

/** Fixture rows through plain SQL, as the management API would store them. */
async function seed(core: CoreDb) {
  const keys = {
    good: generateApiKey(),
    claimed: generateApiKey(),
    disabled: generateApiKey(),
    expired: generateApiKey(),
    temporal: generateApiKey(),
    future: generateApiKey(),
  };
  const q = (sql: string, params: unknown[] = []) => core.dataSource.query(sql, params);
  await q(`INSERT INTO roles (name, description, disabled, can_impersonate) VALUES
      ('editor', 'Editors', false, true), ('viewer', '', false, false), ('gone', '', true, false)`);
  await q(
    `INSERT INTO permissions (role, type_name, field_name, hidden, disabled, filter, data) VALUES
      ('editor', 'Mutation', '*', false, true, NULL, NULL),
      ('editor', 'Mutation', 'insert_articles', false, false, NULL, $1::jsonb),
      ('editor', 'articles', '*', false, false, $2::jsonb, NULL),
      ('editor', '*', 'email', true, false, NULL, NULL)`,
    [
      JSON.stringify({ author_id: '[$auth.user_id]' }),
      JSON.stringify({ author_id: { eq: '[$auth.user_id]' } }),
    ],
  );
  const insertKey = (
    name: string,
    k: { hash: string; prefix: string },
    role: string,
    extra: {
      disabled?: boolean;
      temporal?: boolean;
      expires?: string | null;
      claims?: unknown;
      headers?: unknown;
    } = {},
  ) =>
    q(
      `INSERT INTO api_keys (name, key, key_prefix, description, default_role, disabled, is_temporal, expires_at, claims, headers)
       VALUES ($1, $2, $3, '', $4, $5, $6, $7, $8::jsonb, $9::jsonb)`,
      [
        name,
        k.hash,
        k.prefix,
        role,
        extra.disabled ?? false,
        extra.temporal ?? false,
        extra.expires ?? null,
        extra.claims === undefined ? null : JSON.stringify(extra.claims),
        extra.headers === undefined ? null : JSON.stringify(extra.headers),
      ],
    );
  await insertKey('etl', keys.good, 'viewer');
  await insertKey('svc', keys.claimed, 'viewer', {
    claims: { role: 'editor', user_id: 'svc-1', tenant: 't42' },
    headers: { user_name: 'x-svc-name' },
  });
  await insertKey('old', keys.disabled, 'viewer', { disabled: true });
  await insertKey('temp', keys.expired, 'viewer', { temporal: true, expires: '2000-01-01T00:00:00Z' });
  await insertKey('no-expiry', keys.temporal, 'viewer', { temporal: true });
  await insertKey('later', keys.future, 'viewer', {
    temporal: true,
    expires: new Date(Date.now() + 3_600_000).toISOString(),
  });
  return keys;
}

function storeSuite(name: string, open: () => Promise<{ core: CoreDb; cleanup: () => Promise<void> }>) {
  describe(`CoreDbAuthStore on ${name}`, () => {
    let core: CoreDb;
    let cleanup: () => Promise<void>;
    let keys: Awaited<ReturnType<typeof seed>>;
    let store: CoreDbAuthStore;
    let auth: Authenticator;

    beforeAll(async () => {
      ({ core, cleanup } = await open());
      keys = await seed(core);
      store = new CoreDbAuthStore(core.dataSource);
      auth = new Authenticator(
        { secretKey: SECRET, allowedAnonymous: false, anonymousRole: 'public', allowManagedApiKeys: true },
        { apiKeys: store, roles: store },
      );
    });
    afterAll(async () => {
      auth?.close();
      await cleanup?.();
    });

    it('finds a key by its hash, with parsed claims, headers and dates', async () => {
      await expect(store.findByHash(keys.good.hash)).resolves.toEqual({
        name: 'etl',
        defaultRole: 'viewer',
        disabled: false,
        expiresAt: null,
        claims: null,
        headers: null,
      });
      await expect(store.findByHash(keys.claimed.hash)).resolves.toMatchObject({
        claims: { role: 'editor', user_id: 'svc-1', tenant: 't42' },
        headers: { user_name: 'x-svc-name' },
      });
      const expired = await store.findByHash(keys.expired.hash);
      expect(expired?.expiresAt).toEqual(new Date('2000-01-01T00:00:00Z'));
      // Hugr: a temporal key without an expiry date counts as expired.
      expect((await store.findByHash(keys.temporal.hash))?.expiresAt?.getTime()).toBe(0);
      await expect(store.findByHash(hashApiKey('mk_not_stored'))).resolves.toBeUndefined();
      // The key itself is not a lookup value: only its hash is stored.
      await expect(store.findByHash(keys.good.key)).resolves.toBeUndefined();
    });

    it('loads a role with its permissions, and nothing for unknown roles', async () => {
      const editor = await store.loadRole('editor');
      expect(editor).toMatchObject({ name: 'editor', disabled: false, canImpersonate: true });
      expect(editor?.permissions).toEqual([
        { typeName: '*', fieldName: 'email', hidden: true, disabled: false, filter: null, data: null },
        { typeName: 'Mutation', fieldName: '*', hidden: false, disabled: true, filter: null, data: null },
        {
          typeName: 'Mutation',
          fieldName: 'insert_articles',
          hidden: false,
          disabled: false,
          filter: null,
          data: { author_id: '[$auth.user_id]' },
        },
        {
          typeName: 'articles',
          fieldName: '*',
          hidden: false,
          disabled: false,
          filter: { author_id: { eq: '[$auth.user_id]' } },
          data: null,
        },
      ]);
      await expect(store.loadRole('viewer')).resolves.toEqual({
        name: 'viewer',
        disabled: false,
        canImpersonate: false,
        permissions: [],
      });
      await expect(store.loadRole('gone')).resolves.toMatchObject({ disabled: true });
      await expect(store.loadRole('nobody')).resolves.toBeUndefined();
      await expect(store.loadRole("editor' OR '1'='1")).resolves.toBeUndefined();
    });

    it('authenticates managed keys end to end: right, claimed, disabled, expired, unknown', async () => {
      await expect(auth.authenticate({ 'x-hugr-api-key': keys.good.key })).resolves.toMatchObject({
        role: 'viewer',
        userId: 'etl',
        authType: 'apikey',
        provider: 'managed-api-key',
      });
      await expect(auth.authenticate({ 'x-hugr-api-key': keys.future.key })).resolves.toMatchObject({
        userId: 'later',
      });
      await expect(
        auth.authenticate({ 'x-hugr-api-key': keys.claimed.key, 'x-svc-name': 'Loader' }),
      ).resolves.toMatchObject({
        role: 'editor',
        userId: 'svc-1',
        userName: 'Loader',
        claims: { tenant: 't42' },
      });
      const refused = async (key: string, reason: RegExp) => {
        const err = await auth.authenticate({ 'x-hugr-api-key': key }).then(
          () => undefined,
          (e: Error & { status?: number }) => e,
        );
        expect({ status: err?.status, message: err?.message }).toEqual({
          status: 401,
          message: expect.stringMatching(reason),
        });
        expect(err?.message).not.toContain(key);
      };
      await refused(keys.disabled.key, /disabled/);
      await refused(keys.expired.key, /expired/);
      await refused(keys.temporal.key, /expired/);
      await refused(generateApiKey().key, /invalid API key/);
    });

    it('checks can_impersonate in the roles table', async () => {
      const as = { 'x-hugr-impersonated-role': 'viewer', 'x-hugr-impersonated-user-id': 'u-1' };
      await expect(auth.authenticate({ 'x-hugr-api-key': keys.claimed.key, ...as })).resolves.toMatchObject({
        role: 'viewer',
        userId: 'u-1',
        impersonator: { role: 'editor', userId: 'svc-1' },
      });
      await expect(auth.authenticate({ 'x-hugr-api-key': keys.good.key, ...as })).rejects.toMatchObject({
        status: 403,
      });
    });
  });
}

storeSuite('PostgreSQL', async () => {
  const db = await createTestDatabase('muninn_auth_store');
  try {
    const core = await openCore({ kind: 'postgres', url: db.url });
    return {
      core,
      cleanup: async () => {
        await core.close();
        await db.drop();
      },
    };
  } catch (err) {
    await db.drop();
    throw err;
  }
});

storeSuite('embedded PGlite', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'muninn-auth-store-'));
  const core = await openCore({ kind: 'embedded', dir });
  return {
    core,
    cleanup: async () => {
      await core.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
});
