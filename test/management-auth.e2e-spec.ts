import { createHash } from 'node:crypto';
import pg from 'pg';
import { signedHeaders } from '@app/cluster';
import { type NodeProcess, graphql, startNode, waitFor } from './support/node-process.js';
import { createTestDatabase } from './support/postgres.js';
import { clusterCall } from './support/signed.js';

// Management API for roles, permissions, API keys and cache invalidation, and the signed
// cache-invalidation endpoints: one management node and one work node on real PostgreSQL.
const CLUSTER_SECRET = 'e2e-access-secret-3d8e';
const ADMIN_KEY = 'e2e-access-admin-91fa';
const CHECK_MS = 1000;
const TIMEOUT_MS = 1000;
const INVALIDATE = '/cluster/v1/cache/invalidate';

interface NodeResult {
  node: string;
  success: boolean;
  message: string | null;
  appliedVersion: number | null;
}
interface Operation {
  success: boolean;
  message: string;
  schemaVersion: number | null;
  nodes: NodeResult[];
}
interface GqlError {
  message: string;
  extensions?: Record<string, unknown>;
}

let db: { url: string; drop: () => Promise<void> };
let mgmt: NodeProcess;
let worker: NodeProcess;
const started: NodeProcess[] = [];

const OPERATION = 'success message schemaVersion nodes { node success message appliedVersion }';
const ROLES =
  '{ roles { name description disabled canImpersonate permissions { role typeName fieldName hidden disabled filter data } } }';

async function admin<T = Record<string, unknown>>(query: string, variables?: Record<string, unknown>) {
  return graphql<T>(mgmt.url, ADMIN_KEY, query, variables);
}

async function sql<T = Record<string, unknown>>(text: string, params: unknown[] = []): Promise<T[]> {
  const client = new pg.Client({ connectionString: db.url });
  await client.connect();
  try {
    return (await client.query(text, params)).rows as T[];
  } finally {
    await client.end();
  }
}

async function currentVersion(): Promise<number> {
  return (await admin<{ cluster: { schemaVersion: number } }>('{ cluster { schemaVersion } }')).data!.cluster
    .schemaVersion;
}

async function workerVersion(): Promise<number> {
  const res = await clusterCall(worker.url, 'GET', '/cluster/v1/health', undefined, {
    secret: CLUSTER_SECRET,
  });
  return (res.body as { schemaVersion: number }).schemaVersion;
}

/** A clear error: a known code, the expected words, no stack, no SQL. */
function expectClearError(errors: GqlError[] | undefined, code: string, message: RegExp): void {
  expect(errors).toHaveLength(1);
  const [error] = errors!;
  expect(error.extensions?.code).toBe(code);
  expect(error.message).toMatch(message);
  expect(Object.keys(error.extensions ?? {})).toEqual(['code']);
  expect(error.message).not.toMatch(/\b(SELECT|INSERT|UPDATE|DELETE FROM)\b|QueryFailedError|at .*\.js:/);
}

beforeAll(async () => {
  db = await createTestDatabase('muninn_access');
  mgmt = await startNode(
    'management',
    {
      CLUSTER_SECRET,
      SECRET_KEY: ADMIN_KEY,
      ALLOW_MANAGED_API_KEYS: 'true',
      CORE_DB_PATH: db.url,
      CHECK: `${CHECK_MS}ms`,
      TIMEOUT: `${TIMEOUT_MS}ms`,
      DRAIN_DELAY: '0s',
    },
    started,
  );
  worker = await startNode(
    'worker',
    {
      CLUSTER_SECRET,
      SECRET_KEY: ADMIN_KEY,
      CLUSTER_MANAGEMENT_URL: mgmt.url,
      CLUSTER_NODE_NAME: 'w1',
      CORE_DB_PATH: db.url,
      // Versions must arrive by push: no heartbeat or poll would bring them within these tests.
      CLUSTER_HEARTBEAT: '60s',
      CLUSTER_POLL_INTERVAL: '60s',
      DRAIN_DELAY: '0s',
    },
    started,
  );
  await waitFor('w1 HEALTHY', async () => {
    const res = await admin<{ nodes: { status: string }[] }>('{ nodes { status } }');
    return res.data?.nodes.length === 1 && res.data.nodes[0].status === 'HEALTHY';
  });
});

afterAll(async () => {
  await Promise.all(started.map((p) => p.kill()));
  await db?.drop();
});

describe('management API: roles, permissions, API keys, cache invalidation', () => {
  it("seeds Hugr's default roles in a migration", async () => {
    const res = await admin<{ roles: { name: string; permissions: object[] }[] }>(ROLES);
    const byName = Object.fromEntries(res.data!.roles.map((r) => [r.name, r]));
    expect(Object.keys(byName).sort()).toEqual(['admin', 'public', 'readonly']);
    expect(byName.admin.permissions).toEqual([]);
    expect(byName.public.permissions).toEqual([]);
    expect(byName.readonly.permissions).toEqual([
      {
        role: 'readonly',
        typeName: 'Mutation',
        fieldName: '*',
        hidden: false,
        disabled: true,
        filter: null,
        data: null,
      },
    ]);
    const migrations = await sql<{ name: string }>('SELECT name FROM core_migrations ORDER BY id');
    expect(migrations.map((m) => m.name)).toContain('SeedDefaultRoles1795686900000');
  });

  it('refuses every operation without the admin key, and changes nothing', async () => {
    const version = await currentVersion();
    for (const key of [undefined, 'not-the-admin-key']) {
      for (const query of [
        '{ roles { name } }',
        '{ apiKeys { name } }',
        'mutation { createRole(input: { name: "intruder" }) { name } }',
        'mutation { createApiKey(input: { name: "intruder", defaultRole: "admin" }) { key } }',
        'mutation { invalidateCache { success } }',
      ]) {
        const res = await graphql(mgmt.url, key, query);
        expect({ query, status: res.status, code: res.errors?.[0].extensions?.code }).toEqual({
          query,
          status: 401,
          code: 'UNAUTHENTICATED',
        });
        expect(res.data).toBeUndefined();
      }
    }
    expect(await sql(`SELECT 1 FROM roles WHERE name = 'intruder'`)).toEqual([]);
    expect(await sql(`SELECT 1 FROM api_keys`)).toEqual([]);
    expect(await currentVersion()).toBe(version);
  });

  it('accepts an API key whose role is admin; refuses other roles (403) and disabled keys (401)', async () => {
    const create = (name: string, role: string) =>
      graphql<{ createApiKey: { key: string } }>(
        mgmt.url,
        ADMIN_KEY,
        `mutation { createApiKey(input: { name: "${name}", defaultRole: "${role}" }) { key } }`,
      );
    const adminKey = (await create('ops-admin', 'admin')).data!.createApiKey.key;
    const publicKey = (await create('ops-public', 'public')).data!.createApiKey.key;
    const asKey = async (key: string, query: string) => {
      const res = await fetch(`${mgmt.url}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-hugr-api-key': key },
        body: JSON.stringify({ query }),
      });
      const text = await res.text();
      expect(text).not.toContain(key);
      return {
        status: res.status,
        body: JSON.parse(text) as { data?: unknown; errors?: Array<{ extensions?: { code?: string } }> },
      };
    };
    const ok = await asKey(adminKey, '{ roles { name } }');
    expect(ok.status).toBe(200);
    expect(ok.body.errors).toBeUndefined();
    const denied = await asKey(publicKey, '{ roles { name } }');
    expect({ status: denied.status, code: denied.body.errors?.[0].extensions?.code }).toEqual({
      status: 403,
      code: 'FORBIDDEN',
    });
    await graphql(
      mgmt.url,
      ADMIN_KEY,
      'mutation { setApiKeyDisabled(name: "ops-admin", disabled: true) { success } }',
    );
    expect((await asKey(adminKey, '{ roles { name } }')).status).toBe(401);
    for (const name of ['ops-admin', 'ops-public'])
      await graphql(mgmt.url, ADMIN_KEY, `mutation { deleteApiKey(name: "${name}") { success } }`);
  });

  it('creates a role, sets and removes permissions and deletes it, each change pushed to the node', async () => {
    const v0 = await currentVersion();
    const created = await admin(
      'mutation { createRole(input: { name: "analyst", description: "reads orders", canImpersonate: true }) { name description disabled canImpersonate permissions { typeName } } }',
    );
    expect(created.errors).toBeUndefined();
    expect(created.data!.createRole).toEqual({
      name: 'analyst',
      description: 'reads orders',
      disabled: false,
      canImpersonate: true,
      permissions: [],
    });
    expect(await currentVersion()).toBe(v0 + 1);
    // Returned after the push: the node already serves the new version.
    expect(await workerVersion()).toBe(v0 + 1);

    const set = (input: Record<string, unknown>) =>
      admin<{ setPermission: Record<string, unknown> }>(
        'mutation ($input: PermissionInput!) { setPermission(input: $input) { role typeName fieldName hidden disabled filter data } }',
        { input },
      );
    const filter = { customer_id: { eq: '[$auth.user_id]' } };
    const first = await set({ role: 'analyst', typeName: 'shop_orders', fieldName: '*', filter });
    expect(first.errors).toBeUndefined();
    expect(first.data!.setPermission).toEqual({
      role: 'analyst',
      typeName: 'shop_orders',
      fieldName: '*',
      hidden: false,
      disabled: false,
      filter,
      data: null,
    });
    // The same row again: replaced, not duplicated.
    const again = await set({ role: 'analyst', typeName: 'shop_orders', fieldName: '*', hidden: true });
    expect(again.data!.setPermission).toMatchObject({ hidden: true, filter: null });
    const rule = await set({
      role: 'analyst',
      typeName: 'data-object:insert',
      fieldName: 'shop_orders',
      data: { owner: '[$auth.user_id]' },
    });
    expect(rule.errors).toBeUndefined();
    const star = await set({ role: 'analyst', typeName: 'Mutation', fieldName: '*', disabled: true });
    expect(star.errors).toBeUndefined();
    expect(await currentVersion()).toBe(v0 + 5);
    expect(await workerVersion()).toBe(v0 + 5);

    const listed = await admin<{ roles: { name: string; permissions: Record<string, unknown>[] }[] }>(ROLES);
    const analyst = listed.data!.roles.find((r) => r.name === 'analyst')!;
    expect(analyst.permissions.map((p) => `${p.typeName}.${p.fieldName}`).sort()).toEqual([
      'Mutation.*',
      'data-object:insert.shop_orders',
      'shop_orders.*',
    ]);
    expect(analyst.permissions.find((p) => p.typeName === 'data-object:insert')!.data).toEqual({
      owner: '[$auth.user_id]',
    });

    const removed = await admin<{ removePermission: Operation }>(
      `mutation { removePermission(role: "analyst", typeName: "shop_orders", fieldName: "*") { ${OPERATION} } }`,
    );
    expect(removed.data!.removePermission).toMatchObject({
      success: true,
      schemaVersion: v0 + 6,
      nodes: [{ node: 'w1', success: true, appliedVersion: v0 + 6 }],
    });
    const missing = await admin(
      'mutation { removePermission(role: "analyst", typeName: "shop_orders", fieldName: "*") { success } }',
    );
    expectClearError(missing.errors, 'NOT_FOUND', /permission analyst: shop_orders\.\* does not exist/);

    const disabled = await admin(
      'mutation { updateRole(name: "analyst", input: { disabled: true }) { disabled canImpersonate } }',
    );
    expect(disabled.data!.updateRole).toEqual({ disabled: true, canImpersonate: true });

    const deleted = await admin<{ deleteRole: Operation }>(
      `mutation { deleteRole(name: "analyst") { ${OPERATION} } }`,
    );
    expect(deleted.data!.deleteRole).toMatchObject({
      success: true,
      schemaVersion: v0 + 8,
      nodes: [{ node: 'w1', success: true, appliedVersion: v0 + 8 }],
    });
    const after = await admin<{ roles: { name: string }[] }>('{ roles { name } }');
    expect(after.data!.roles.map((r) => r.name)).not.toContain('analyst');
    expect(await sql(`SELECT 1 FROM permissions WHERE role = 'analyst'`)).toEqual([]);
    const gone = await admin('mutation { deleteRole(name: "analyst") { success } }');
    expectClearError(gone.errors, 'NOT_FOUND', /role "analyst" does not exist/);
  });

  it('the built-in admin role can be neither deleted nor disabled', async () => {
    const deleted = await admin('mutation { deleteRole(name: "admin") { success } }');
    expectClearError(deleted.errors, 'CONFLICT', /admin role cannot be deleted/);
    const disabled = await admin(
      'mutation { updateRole(name: "admin", input: { disabled: true }) { disabled } }',
    );
    expectClearError(disabled.errors, 'CONFLICT', /admin role cannot be disabled/);
    // Other changes to it are allowed, and the role is still there, enabled.
    const described = await admin<{ updateRole: { disabled: boolean } }>(
      'mutation { updateRole(name: "admin", input: { description: "cluster administrators" }) { disabled } }',
    );
    expect(described.data!.updateRole).toEqual({ disabled: false });
    expect(await sql(`SELECT disabled FROM roles WHERE name = 'admin'`)).toEqual([{ disabled: false }]);
  });

  it('creates an API key shown once and stored hashed; a role in use cannot be deleted', async () => {
    expect(
      (await admin('mutation { createRole(input: { name: "reader" }) { name } }')).errors,
    ).toBeUndefined();
    const v0 = await currentVersion();
    const expiresAt = new Date(Date.now() + 86_400_000).toISOString();
    const created = await admin<{ createApiKey: { name: string; key: string; keyPrefix: string } }>(
      'mutation ($input: ApiKeyInput!) { createApiKey(input: $input) { name key keyPrefix } }',
      {
        input: {
          name: 'ci-bot',
          defaultRole: 'reader',
          description: 'CI',
          expiresAt,
          claims: { team: 'data' },
          headers: { 'x-team': 'data' },
        },
      },
    );
    expect(created.errors).toBeUndefined();
    const { key, keyPrefix } = created.data!.createApiKey;
    expect(key).toMatch(/^mk_[A-Za-z0-9_-]{40,}$/);
    expect(key.startsWith(keyPrefix)).toBe(true);
    expect(await currentVersion()).toBe(v0 + 1);
    expect(await workerVersion()).toBe(v0 + 1);

    const hash = createHash('sha256').update(key).digest('hex');
    const [row] = await sql<{ key: string; key_prefix: string; is_temporal: boolean }>(
      `SELECT key, key_prefix, is_temporal FROM api_keys WHERE name = 'ci-bot'`,
    );
    expect(row).toEqual({ key: hash, key_prefix: keyPrefix, is_temporal: true });

    const listRes = await fetch(`${mgmt.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-hugr-secret-key': ADMIN_KEY },
      body: JSON.stringify({
        query:
          '{ apiKeys { name keyPrefix description defaultRole disabled isTemporal expiresAt claims headers createdAt } }',
      }),
    });
    const text = await listRes.text();
    expect(text).not.toContain(key);
    expect(text).not.toContain(hash);
    const listed = (JSON.parse(text) as { data: { apiKeys: Record<string, unknown>[] } }).data.apiKeys;
    expect(listed).toEqual([
      {
        name: 'ci-bot',
        keyPrefix,
        description: 'CI',
        defaultRole: 'reader',
        disabled: false,
        isTemporal: true,
        expiresAt,
        claims: { team: 'data' },
        headers: { 'x-team': 'data' },
        createdAt: expect.any(String),
      },
    ]);
    expect(mgmt.log).not.toContain(key);

    const inUse = await admin('mutation { deleteRole(name: "reader") { success } }');
    expectClearError(inUse.errors, 'CONFLICT', /role "reader" is used by API key\(s\) "ci-bot"/);

    const disabled = await admin<{ setApiKeyDisabled: Operation }>(
      `mutation { setApiKeyDisabled(name: "ci-bot", disabled: true) { ${OPERATION} } }`,
    );
    expect(disabled.data!.setApiKeyDisabled).toMatchObject({
      success: true,
      nodes: [{ node: 'w1', success: true }],
    });
    expect((await admin('{ apiKeys { disabled } }')).data!.apiKeys).toEqual([{ disabled: true }]);

    const deleted = await admin<{ deleteApiKey: Operation }>(
      `mutation { deleteApiKey(name: "ci-bot") { ${OPERATION} } }`,
    );
    expect(deleted.data!.deleteApiKey).toMatchObject({
      success: true,
      schemaVersion: v0 + 3,
      nodes: [{ node: 'w1', success: true, appliedVersion: v0 + 3 }],
    });
    expect((await admin('{ apiKeys { name } }')).data!.apiKeys).toEqual([]);
    expect(await sql(`SELECT 1 FROM api_keys`)).toEqual([]);
    const again = await admin('mutation { deleteApiKey(name: "ci-bot") { success } }');
    expectClearError(again.errors, 'NOT_FOUND', /API key "ci-bot" does not exist/);
    expect((await admin('mutation { deleteRole(name: "reader") { success } }')).data).toEqual({
      deleteRole: { success: true },
    });
  });

  it('answers bad input with a clear error and changes nothing', async () => {
    const version = await currentVersion();
    const key = (input: Record<string, unknown>) =>
      admin('mutation ($input: ApiKeyInput!) { createApiKey(input: $input) { key } }', { input });
    const perm = (input: Record<string, unknown>) =>
      admin('mutation ($input: PermissionInput!) { setPermission(input: $input) { role } }', { input });
    const cases: [Promise<{ errors?: GqlError[] }>, string, RegExp][] = [
      [key({ name: 'k1', defaultRole: 'nope' }), 'BAD_USER_INPUT', /role "nope" does not exist/],
      [
        key({ name: 'k1', defaultRole: 'public', expiresAt: '2020-01-01T00:00:00Z' }),
        'BAD_USER_INPUT',
        /expiresAt .* is in the past/,
      ],
      [
        key({ name: 'k1', defaultRole: 'public', expiresAt: 'tomorrow' }),
        'BAD_USER_INPUT',
        /expiresAt is not a valid date-time/,
      ],
      [key({ name: '', defaultRole: 'public' }), 'BAD_USER_INPUT', /API key name must not be empty/],
      [key({ name: 'k1', defaultRole: '' }), 'BAD_USER_INPUT', /defaultRole must not be empty/],
      [
        key({ name: 'k1', defaultRole: 'public', claims: [1] }),
        'BAD_USER_INPUT',
        /claims must be a JSON object/,
      ],
      [
        key({ name: 'k1', defaultRole: 'public', claims: { role: 'ghost' } }),
        'BAD_USER_INPUT',
        /role "ghost" does not exist/,
      ],
      [
        perm({ role: 'nope', typeName: 'Query', fieldName: '*' }),
        'BAD_USER_INPUT',
        /role "nope" does not exist/,
      ],
      [
        perm({ role: 'public', typeName: 'Query', fieldName: '*', filter: [1, 2] }),
        'BAD_USER_INPUT',
        /filter must be a JSON object or null/,
      ],
      [
        perm({ role: 'public', typeName: 'Query', fieldName: '*', filter: 'id = 1' }),
        'BAD_USER_INPUT',
        /filter must be a JSON object or null/,
      ],
      [
        perm({ role: 'public', typeName: 'Query', fieldName: '*', data: 42 }),
        'BAD_USER_INPUT',
        /data must be a JSON object or null/,
      ],
      [
        perm({ role: 'public', typeName: '', fieldName: '*' }),
        'BAD_USER_INPUT',
        /typeName must not be empty/,
      ],
      [
        perm({ role: 'public', typeName: 'Query', fieldName: '' }),
        'BAD_USER_INPUT',
        /fieldName must not be empty/,
      ],
      [perm({ role: '', typeName: 'Query', fieldName: '*' }), 'BAD_USER_INPUT', /role must not be empty/],
      [
        perm({ role: 'public', typeName: "x'; drop table roles; --", fieldName: '*' }),
        'BAD_USER_INPUT',
        /typeName .* must be a GraphQL type name/,
      ],
      [
        perm({ role: 'public', typeName: 'data-object:upsert', fieldName: '*' }),
        'BAD_USER_INPUT',
        /typeName .* must be a GraphQL type name/,
      ],
      [
        admin('mutation { createRole(input: { name: "" }) { name } }'),
        'BAD_USER_INPUT',
        /role name must not be empty/,
      ],
      [
        admin('mutation { createRole(input: { name: "has space" }) { name } }'),
        'BAD_USER_INPUT',
        /role name "has space" must start with/,
      ],
      [
        admin(`mutation { createRole(input: { name: "${'r'.repeat(200)}" }) { name } }`),
        'BAD_USER_INPUT',
        /max 128/,
      ],
      [
        admin('mutation { createRole(input: { name: "public" }) { name } }'),
        'CONFLICT',
        /role "public" already exists/,
      ],
      [
        admin('mutation { updateRole(name: "nope", input: {}) { name } }'),
        'NOT_FOUND',
        /role "nope" does not exist/,
      ],
      [
        admin('mutation { setApiKeyDisabled(name: "nope", disabled: true) { success } }'),
        'NOT_FOUND',
        /API key "nope"/,
      ],
      [admin('mutation { invalidateCache(tags: [""]) { success } }'), 'BAD_USER_INPUT', /tags must be/],
    ];
    for (const [pending, code, message] of cases) expectClearError((await pending).errors, code, message);
    expect(await currentVersion()).toBe(version);
    expect(await sql(`SELECT 1 FROM api_keys`)).toEqual([]);
    expect(mgmt.log).not.toMatch(/Internal server error|unexpected error/);
  });

  it('counts core-module writes to roles and permissions as schema changes', async () => {
    const core = async (query: string) => {
      const res = await fetch(`${worker.url}/query`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-hugr-secret-key': ADMIN_KEY },
        body: JSON.stringify({ query }),
      });
      return res.json();
    };
    const version = await currentVersion();
    expect(
      await core(
        'mutation { core { insert_roles(data: { name: "via_core", description: "hugr client" }) { name } } }',
      ),
    ).toEqual({ data: { core: { insert_roles: { name: 'via_core' } } } });
    expect(await currentVersion()).toBe(version + 1);
    expect(
      await core(
        'mutation { core { insert_permissions(data: { role: "via_core", type_name: "Mutation", field_name: "*", disabled: true }) { role } } }',
      ),
    ).toEqual({ data: { core: { insert_permissions: { role: 'via_core' } } } });
    expect(await currentVersion()).toBe(version + 2);
    expect(await workerVersion()).toBe(version + 2);
    const roles = await admin<{ roles: { name: string; description: string; permissions: object[] }[] }>(
      '{ roles { name description permissions { typeName fieldName disabled } } }',
    );
    expect(roles.data!.roles).toContainEqual({
      name: 'via_core',
      description: 'hugr client',
      permissions: [{ typeName: 'Mutation', fieldName: '*', disabled: true }],
    });
  });

  it('invalidates the cache on every healthy node: invalidateCache returns one result per node', async () => {
    const version = await currentVersion();
    for (const args of ['', '(tags: [])', '(tags: ["shop_orders", "shop_customers"])']) {
      const res = await admin<{ invalidateCache: Operation }>(
        `mutation { invalidateCache${args} { ${OPERATION} } }`,
      );
      expect(res.errors).toBeUndefined();
      expect(res.data!.invalidateCache).toMatchObject({
        success: true,
        schemaVersion: null,
        nodes: [
          {
            node: 'w1',
            success: true,
            appliedVersion: null,
            message: expect.stringMatching(/^dropped \d+ cached/),
          },
        ],
      });
    }
    expect(await currentVersion()).toBe(version); // invalidation is not a schema change
  });

  it('closes both /cluster/v1/cache/invalidate endpoints to unsigned, wrongly signed and stale calls', async () => {
    const body = { tags: ['shop_orders'] };
    for (const base of [mgmt.url, worker.url]) {
      for (const sign of [
        undefined,
        { secret: 'wrong-secret-value' },
        { secret: CLUSTER_SECRET, now: Date.now() - 60_000 },
      ]) {
        const res = await clusterCall(base, 'POST', INVALIDATE, body, sign);
        expect({ base, sign: sign?.secret ?? 'none', status: res.status }).toEqual({
          base,
          sign: sign?.secret ?? 'none',
          status: 401,
        });
        expect(JSON.stringify(res.body)).not.toContain(CLUSTER_SECRET);
      }
      const bad = await clusterCall(base, 'POST', INVALIDATE, { tags: [''] }, { secret: CLUSTER_SECRET });
      expect(bad.status).toBe(400);
    }
    const onWorker = await clusterCall(worker.url, 'POST', INVALIDATE, body, { secret: CLUSTER_SECRET });
    expect(onWorker.status).toBe(200);
    expect(onWorker.body).toEqual({ dropped: expect.any(Number) });

    // Signed by a node that is not w1: management fans out to w1.
    const fanned = await clusterCall(mgmt.url, 'POST', INVALIDATE, body, { secret: CLUSTER_SECRET });
    expect(fanned.status).toBe(200);
    expect(fanned.body).toEqual({
      nodes: [
        {
          node: 'w1',
          success: true,
          message: expect.any(String),
          appliedVersion: null,
          durationMs: expect.any(Number),
        },
      ],
    });
    // Sent by w1 itself: w1 already invalidated its own cache, so nobody is left to tell.
    const text = JSON.stringify({ tags: null });
    const fromW1 = await fetch(mgmt.url + INVALIDATE, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        ...signedHeaders(CLUSTER_SECRET, 'w1', 'POST', INVALIDATE, text),
      },
      body: text,
    });
    expect(fromW1.status).toBe(200);
    expect(await fromW1.json()).toEqual({ nodes: [] });
  });

  it('flushes a node that missed an invalidation as soon as it is healthy again', async () => {
    worker.signal('SIGSTOP');
    let op: Operation;
    try {
      op = (
        await admin<{ invalidateCache: Operation }>(
          `mutation { invalidateCache(tags: ["t1"]) { ${OPERATION} } }`,
        )
      ).data!.invalidateCache;
    } finally {
      worker.signal('SIGCONT');
    }
    // w1 is either called and times out, or already UNHEALTHY and left out: both count as missed.
    if (op.nodes.length)
      expect(op).toMatchObject({ success: false, nodes: [{ node: 'w1', success: false }] });
    await waitFor(
      'management to flush w1',
      () => /node w1 may have missed a cache invalidation; invalidating everything on it/.test(mgmt.log),
      2 * CHECK_MS + TIMEOUT_MS + 5000,
    );
    await waitFor(
      'w1 to drop everything',
      () => /invalidated everything: \d+ entries dropped/.test(worker.log),
      5000,
    );
    await waitFor('w1 HEALTHY', async () => {
      const res = await admin<{ nodes: { status: string }[] }>('{ nodes { status } }');
      return res.data?.nodes[0]?.status === 'HEALTHY';
    });
  });
});
