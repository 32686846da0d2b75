// Managed API keys, permissions and the result cache across a real cluster: management and two
// work nodes (built apps) on real PostgreSQL, sharing an L2 on a redis-server this file starts on a
// free port (never the shared 6379); two more work nodes share a memcached. Data: the conformance
// fixture (read-only source `conf`) and the mutation fixture (writable source `rw`) in one database.
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import pg from 'pg';
import { CacheServers, type Server } from './support/cache-servers.js';
import { type NodeProcess, graphql, startNode, waitFor } from './support/node-process.js';
import { createTestDatabase, runSql } from './support/postgres.js';

const CLUSTER_SECRET = 'e2e-access-cache-secret-5c1f';
const ADMIN_KEY = 'e2e-access-cache-admin-7e02';
const FIXTURE = resolve(import.meta.dirname, 'engine/fixture');
/** What SPEC §7 promises for role, permission and key changes: every node within one second. */
const PROPAGATION_MS = 1000;
/** Every hook and test is bounded well below Jest's global timeout. */
const BOUND_MS = 60_000;

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- answers are walked freely and checked with expect()
type Json = any;
type Body = {
  data?: Record<string, Json>;
  errors?: { message: string; extensions?: { code?: string } }[];
};

let core: { url: string; drop: () => Promise<void> };
let data: { url: string; drop: () => Promise<void> };
let db: pg.Client;
let mgmt: NodeProcess;
let redis: Server;
let a: NodeProcess;
let b: NodeProcess;
const local = new CacheServers();
/** Every Muninn process started, for cleanup (also those that never got ready). */
const started: NodeProcess[] = [];
/** Measured propagation delays, printed at the end when MUNINN_E2E_TIMINGS is set. */
const timings: string[] = [];

/** A POST /query to a work node; `headers` carry the credential. */
async function query(
  node: NodeProcess,
  q: string,
  headers: Record<string, string>,
  variables?: Record<string, unknown>,
): Promise<{ status: number; text: string; body: Body }> {
  const res = await fetch(`${node.url}/query`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify({ query: q, variables }),
  });
  const text = await res.text();
  return { status: res.status, text, body: JSON.parse(text) as Body };
}

const ADMIN = { 'x-hugr-secret-key': ADMIN_KEY };
const apiKey = (key: string, extra: Record<string, string> = {}) => ({ 'x-hugr-api-key': key, ...extra });

/** The data of a successful answer (200, no errors). */
async function ok(node: NodeProcess, q: string, headers: Record<string, string> = ADMIN) {
  const res = await query(node, q, headers);
  expect({ node: node.port, status: res.status, errors: res.body.errors }).toEqual({
    node: node.port,
    status: 200,
    errors: undefined,
  });
  return res.body.data!;
}

/** A management mutation or query that must succeed. */
async function manage<T = Record<string, Json>>(q: string, variables?: Record<string, unknown>): Promise<T> {
  const res = await graphql<T>(mgmt.url, ADMIN_KEY, q, variables);
  expect(res.errors).toBeUndefined();
  return res.data!;
}

/** What the tests read of a management ClusterOperationResult. */
type OperationResult = { success: boolean; nodes: { node: string; success: boolean }[] };

/** Every named node applied the change (or invalidation). */
function expectApplied(result: OperationResult, nodes: string[]) {
  expect(result.success).toBe(true);
  for (const n of nodes)
    expect(result.nodes).toContainEqual(expect.objectContaining({ node: n, success: true }));
}

/**
 * Polls `check` on every node from `since` (when the management call returned) until it holds on
 * all of them; fails once PROPAGATION_MS have passed. Returns the measured delay.
 */
async function onEveryNodeWithin(
  what: string,
  since: number,
  nodes: NodeProcess[],
  check: (node: NodeProcess) => Promise<boolean>,
): Promise<number> {
  const pending = new Set(nodes);
  for (;;) {
    for (const node of [...pending]) if (await check(node)) pending.delete(node);
    const elapsed = Math.round(performance.now() - since);
    if (!pending.size) {
      timings.push(`${what}: ${elapsed} ms`);
      return elapsed;
    }
    if (elapsed > PROPAGATION_MS)
      throw new Error(
        `${what}: not seen on ${[...pending].map((n) => n.port).join(', ')} within ${PROPAGATION_MS} ms`,
      );
    await new Promise((r) => setTimeout(r, 10));
  }
}

const code = (body: Body) => body.errors?.[0]?.extensions?.code;
const ids = (rows: { id: number }[]) => rows.map((r) => r.id);

async function setCustomerName(id: number, name: string): Promise<void> {
  await db.query('UPDATE customers SET full_name = $1 WHERE id = $2', [name, id]);
}

/** The cache part of a node's readiness details. */
async function readiness(
  node: NodeProcess,
): Promise<{ status: number; l2: { up: boolean; backend: string } }> {
  const res = await fetch(`${node.url}/health/ready`);
  const body = (await res.json()) as { details: { cache: { l2: { up: boolean; backend: string } } } };
  return { status: res.status, l2: body.details.cache.l2 };
}

function workerEnv(name: string, backend: 'redis' | 'memcached', address: string): Record<string, string> {
  return {
    CLUSTER_SECRET,
    CLUSTER_MANAGEMENT_URL: mgmt.url,
    CLUSTER_NODE_NAME: name,
    // Pushes, not the poll, must carry every change here.
    CLUSTER_POLL_INTERVAL: '10m',
    CORE_DB_PATH: core.url,
    SECRET_KEY: ADMIN_KEY,
    ALLOW_MANAGED_API_KEYS: 'true',
    CACHE_L1_ENABLED: 'true',
    CACHE_L1_MAX_SIZE: '16',
    CACHE_L2_ENABLED: 'true',
    CACHE_L2_BACKEND: backend,
    CACHE_L2_ADDRESSES: address,
    CACHE_TTL: '60s',
    DRAIN_DELAY: '0s',
    LOG_LEVEL: 'info',
  };
}

async function healthyNodes(count: number): Promise<void> {
  await waitFor(`${count} healthy nodes`, async () => {
    const res = await graphql<{ nodes: { status: string }[] }>(mgmt.url, ADMIN_KEY, '{ nodes { status } }');
    return res.data?.nodes.filter((n) => n.status === 'HEALTHY').length === count;
  });
}

const source = (name: string, prefix: string, readOnly: boolean, file: string) => ({
  name,
  input: {
    name,
    type: 'postgres',
    prefix,
    path: data.url,
    readOnly,
    catalogs: [{ name, type: 'TEXT', sdl: readFileSync(resolve(FIXTURE, file), 'utf8') }],
  },
});

const LOAD = `
  mutation ($input: DataSourceInput!, $name: String!) {
    createDataSource(input: $input) { name }
    loadDataSource(name: $name) { success message nodes { node success message } }
  }`;

beforeAll(async () => {
  [core, data] = await Promise.all([
    createTestDatabase('muninn_acc_core'),
    createTestDatabase('muninn_acc_data'),
  ]);
  await runSql(data.url, readFileSync(resolve(FIXTURE, 'conf.sql'), 'utf8'));
  await runSql(data.url, readFileSync(resolve(FIXTURE, 'mut.sql'), 'utf8'));
  db = new pg.Client({ connectionString: data.url });
  await db.connect();
  redis = await local.redis();
  mgmt = await startNode(
    'management',
    { CLUSTER_SECRET, SECRET_KEY: ADMIN_KEY, CORE_DB_PATH: core.url, CHECK: '1s', DRAIN_DELAY: '0s' },
    started,
  );
  [a, b] = await Promise.all([
    startNode('worker', workerEnv('a', 'redis', redis.address), started),
    startNode('worker', workerEnv('b', 'redis', redis.address), started),
  ]);
  await healthyNodes(2);
  for (const s of [source('conf', '', true, 'conf.graphql'), source('rw', 'rw', false, 'mut.graphql')]) {
    const res = await manage<{ loadDataSource: { success: boolean; message: string } }>(LOAD, s);
    expect(res.loadDataSource).toMatchObject({ success: true });
  }
}, BOUND_MS);

afterAll(async () => {
  await Promise.all(started.map((p) => p.kill()));
  await local.stopAll();
  await db?.end();
  await Promise.all([core?.drop(), data?.drop()]);
  if (process.env.MUNINN_E2E_TIMINGS)
    console.log(`propagation after the management call:\n${timings.join('\n')}`);
}, BOUND_MS);

const CREATE_ROLE = 'mutation ($input: RoleInput!) { createRole(input: $input) { name } }';
const SET_PERMISSION =
  'mutation ($input: PermissionInput!) { setPermission(input: $input) { role typeName fieldName } }';
const REMOVE_PERMISSION = `mutation ($role: String!, $typeName: String!, $fieldName: String!) {
  removePermission(role: $role, typeName: $typeName, fieldName: $fieldName) { success nodes { node success } } }`;
const CREATE_KEY = 'mutation ($input: ApiKeyInput!) { createApiKey(input: $input) { name key keyPrefix } }';
const UPDATE_ROLE =
  'mutation ($name: String!, $input: RoleUpdateInput!) { updateRole(name: $name, input: $input) { name disabled } }';
const INVALIDATE =
  'mutation ($tags: [String!]) { invalidateCache(tags: $tags) { success message nodes { node success message } } }';

async function createKey(input: Record<string, unknown>): Promise<string> {
  const res = await manage<{ createApiKey: { key: string } }>(CREATE_KEY, { input });
  return res.createApiKey.key;
}

/** The table rule that lets a role read only the orders of the customer `placeholder` names. */
const ownOrders = (role: string, placeholder: string) => ({
  role,
  typeName: 'data-object:query',
  fieldName: 'orders',
  filter: { customer_id: { eq: placeholder } },
});

async function createRoleOwningOrders(role: string, placeholder: string): Promise<void> {
  await manage(CREATE_ROLE, { input: { name: role } });
  await manage(SET_PERMISSION, { input: ownOrders(role, placeholder) });
}

/** Runs a management call and returns when it answered (performance.now()). */
async function managed(q: string, variables?: Record<string, unknown>): Promise<number> {
  await manage(q, variables);
  return performance.now();
}

describe('managed API keys on two work nodes', () => {
  const CUSTOMERS = '{ customers(order_by: [{field: "id"}]) { id name } }';
  let key: string;
  let gateway: string;
  let wrong: string[];

  beforeAll(async () => {
    await manage(CREATE_ROLE, { input: { name: 'clerk' } });
    await manage(SET_PERMISSION, {
      input: { role: 'clerk', typeName: 'customers', fieldName: 'email', disabled: true },
    });
    key = await createKey({ name: 'clerk-key', defaultRole: 'clerk' });
    wrong = [`${key.slice(0, -1)}${key.endsWith('x') ? 'y' : 'x'}`, 'not-a-muninn-key-at-all-0123456789'];
  }, BOUND_MS);

  it('both workers accept a new key, with its role and the role’s permissions', async () => {
    for (const node of [a, b]) {
      const me = await ok(
        node,
        '{ function { core { auth { me { user_id role auth_type auth_provider } } } } }',
        apiKey(key),
      );
      expect(me.function.core.auth.me).toEqual({
        user_id: 'clerk-key',
        role: 'clerk',
        auth_type: 'db-api-key',
        auth_provider: 'managed-api-key',
      });
      expect(ids((await ok(node, CUSTOMERS, apiKey(key))).customers)).toEqual([1, 2, 3, 4, 5]);
      const denied = await query(node, '{ customers { id email } }', apiKey(key));
      expect(denied.status).toBe(200);
      expect(code(denied.body)).toBe('FORBIDDEN');
      expect(denied.body.data?.customers ?? null).toBeNull();
      expect(denied.text).not.toContain('@example.com');
    }
    // Management lists the key by name and prefix, never the key itself.
    const listed = await graphql(mgmt.url, ADMIN_KEY, '{ apiKeys { name defaultRole disabled keyPrefix } }');
    expect(listed.data!.apiKeys).toContainEqual(
      expect.objectContaining({ name: 'clerk-key', defaultRole: 'clerk', disabled: false }),
    );
    expect(JSON.stringify(listed)).not.toContain(key);
  });

  it('a wrong key gets 401 UNAUTHENTICATED on both, and the answer never contains the key', async () => {
    for (const node of [a, b])
      for (const presented of wrong) {
        const res = await query(node, CUSTOMERS, apiKey(presented));
        expect(res.status).toBe(401);
        expect(res.body).toEqual({
          errors: [{ message: 'invalid API key', extensions: { code: 'UNAUTHENTICATED' } }],
        });
        expect(res.text).not.toContain(presented);
        expect(res.text).not.toContain(key);
      }
  });

  it('creating a key for a role that does not exist is refused by management', async () => {
    const res = await graphql(mgmt.url, ADMIN_KEY, CREATE_KEY, {
      input: { name: 'ghost-key', defaultRole: 'ghost' },
    });
    expect(res.errors?.[0].message).toMatch(/role "ghost" does not exist/);
  });

  it('disable → 401 on both within 1 s; enable → accepted again; delete → 401 on both within 1 s', async () => {
    const refused = (message: string) => async (node: NodeProcess) => {
      const res = await query(node, CUSTOMERS, apiKey(key));
      if (res.status === 200) return false;
      expect(res.status).toBe(401);
      expect(res.body.errors).toEqual([{ message, extensions: { code: 'UNAUTHENTICATED' } }]);
      expect(res.text).not.toContain(key);
      return true;
    };
    const accepted = async (node: NodeProcess) => (await query(node, CUSTOMERS, apiKey(key))).status === 200;
    const SET_DISABLED = `mutation ($disabled: Boolean!) {
      setApiKeyDisabled(name: "clerk-key", disabled: $disabled) { success nodes { node success } } }`;

    const disabled = await manage<{ setApiKeyDisabled: OperationResult }>(SET_DISABLED, { disabled: true });
    let since = performance.now();
    expectApplied(disabled.setApiKeyDisabled, ['a', 'b']);
    await onEveryNodeWithin('API key disabled', since, [a, b], refused('API key is disabled'));

    since = await managed(SET_DISABLED, { disabled: false });
    await onEveryNodeWithin('API key enabled again', since, [a, b], accepted);

    const deleted = await manage<{ deleteApiKey: OperationResult }>(
      'mutation { deleteApiKey(name: "clerk-key") { success nodes { node success } } }',
    );
    since = performance.now();
    expectApplied(deleted.deleteApiKey, ['a', 'b']);
    await onEveryNodeWithin('API key deleted', since, [a, b], refused('invalid API key'));
  });

  it('a role that does not exist, or a disabled role, is 403 FORBIDDEN on both', async () => {
    // A gateway key lets its holder name the role in a header: naming an unknown role is forbidden.
    gateway = await createKey({
      name: 'gateway-key',
      defaultRole: 'clerk',
      headers: { role: 'x-app-role' },
    });
    for (const node of [a, b]) {
      expect(ids((await ok(node, CUSTOMERS, apiKey(gateway))).customers)).toEqual([1, 2, 3, 4, 5]);
      const res = await query(node, CUSTOMERS, apiKey(gateway, { 'x-app-role': 'ghost' }));
      expect(res.status).toBe(403);
      expect(res.body).toEqual({
        errors: [{ message: 'role "ghost" does not exist', extensions: { code: 'FORBIDDEN' } }],
      });
      expect(res.text).not.toContain(gateway);
    }

    const forbidden = async (node: NodeProcess) => {
      const res = await query(node, CUSTOMERS, apiKey(gateway));
      if (res.status === 200) return false;
      expect(res.status).toBe(403);
      expect(res.body).toEqual({
        errors: [{ message: 'role "clerk" is disabled', extensions: { code: 'FORBIDDEN' } }],
      });
      return true;
    };
    let since = await managed(UPDATE_ROLE, { name: 'clerk', input: { disabled: true } });
    await onEveryNodeWithin('role disabled', since, [a, b], forbidden);
    since = await managed(UPDATE_ROLE, { name: 'clerk', input: { disabled: false } });
    await onEveryNodeWithin(
      'role enabled again',
      since,
      [a, b],
      async (node) => (await query(node, CUSTOMERS, apiKey(gateway))).status === 200,
    );
  });

  it('no key ever appears in a log', () => {
    for (const p of [mgmt, a, b]) {
      for (const k of [key, gateway, ...wrong]) expect(p.log).not.toContain(k);
      expect(p.log).not.toContain(ADMIN_KEY);
      expect(p.log).not.toContain(CLUSTER_SECRET);
    }
  });
});

describe('permissions on two work nodes', () => {
  const ORDERS = '{ orders(order_by: [{field: "id"}]) { id } }';
  const NESTED = '{ customers(order_by: [{field: "id"}]) { id orders(order_by: [{field: "id"}]) { id } } }';
  const ALL_ORDERS = [1, 2, 3, 4, 5, 6, 7, 8];
  const OWN_ROWS = ownOrders('owner', '[$auth.user_id_int]');
  let alice: string;
  let bob: string;

  beforeAll(async () => {
    await manage(CREATE_ROLE, { input: { name: 'owner' } });
    alice = await createKey({ name: 'owner-alice', defaultRole: 'owner', claims: { user_id: '1' } });
    bob = await createKey({ name: 'owner-bob', defaultRole: 'owner', claims: { user_id: '2' } });
  }, BOUND_MS);

  const ordersOf = async (node: NodeProcess, key: string) =>
    ids((await ok(node, ORDERS, apiKey(key))).orders);

  /** Removes a permission row: within 1 s, `q` runs without errors on both nodes again. */
  async function removeRule(what: string, rule: Record<string, string>, q: string, key: string) {
    const since = await managed(REMOVE_PERMISSION, rule);
    await onEveryNodeWithin(
      what,
      since,
      [a, b],
      async (node) => (await query(node, q, apiKey(key))).body.errors === undefined,
    );
  }

  it('a role without rows sees every row; a data-object:query filter applies on both within 1 s, also through relations; removing it restores all rows', async () => {
    for (const node of [a, b]) {
      expect(await ordersOf(node, alice)).toEqual(ALL_ORDERS);
      expect(ids((await ok(node, NESTED, apiKey(alice))).customers)).toEqual([1, 2, 3, 4, 5]);
    }

    let since = await managed(SET_PERMISSION, { input: OWN_ROWS });
    await onEveryNodeWithin(
      'orders filter set',
      since,
      [a, b],
      async (node) => JSON.stringify(await ordersOf(node, alice)) === '[1,2]',
    );
    for (const node of [a, b]) {
      expect(await ordersOf(node, alice)).toEqual([1, 2]);
      expect(await ordersOf(node, bob)).toEqual([3, 4]);
      // The rule applies on every path that reads orders: here the customers → orders relation.
      expect((await ok(node, NESTED, apiKey(alice))).customers).toEqual([
        { id: 1, orders: [{ id: 1 }, { id: 2 }] },
        { id: 2, orders: [] },
        { id: 3, orders: [] },
        { id: 4, orders: [] },
        { id: 5, orders: [] },
      ]);
      expect((await ok(node, '{ orders_by_pk(id: 3) { id } }', apiKey(alice))).orders_by_pk).toBeNull();
      // The admin (secret key) is not a member of the role.
      expect(ids((await ok(node, ORDERS)).orders)).toEqual(ALL_ORDERS);
    }

    since = await managed(REMOVE_PERMISSION, {
      role: 'owner',
      typeName: 'data-object:query',
      fieldName: 'orders',
    });
    await onEveryNodeWithin(
      'orders filter removed',
      since,
      [a, b],
      async (node) => (await ordersOf(node, alice)).length === ALL_ORDERS.length,
    );
    for (const node of [a, b]) expect(await ordersOf(node, bob)).toEqual(ALL_ORDERS);
  });

  it('a disabled Mutation.* row refuses mutations on both within 1 s', async () => {
    const UPDATE =
      'mutation { update_rw_notes(filter: {id: {eq: 3}}, data: {body: "three"}) { affected_rows } }';
    for (const node of [a, b])
      expect((await ok(node, UPDATE, apiKey(alice))).update_rw_notes).toEqual({ affected_rows: 1 });

    const rule = { role: 'owner', typeName: 'Mutation', fieldName: '*' };
    const since = await managed(SET_PERMISSION, { input: { ...rule, disabled: true } });
    await onEveryNodeWithin('Mutation.* disabled', since, [a, b], async (node) => {
      const res = await query(node, UPDATE, apiKey(alice));
      expect(res.status).toBe(200);
      if (!res.body.errors) return false;
      expect(code(res.body)).toBe('FORBIDDEN');
      return true;
    });
    // Queries are not affected.
    for (const node of [a, b]) expect(await ordersOf(node, alice)).toEqual(ALL_ORDERS);

    await removeRule('Mutation.* enabled again', rule, UPDATE, alice);
  });

  it('a disabled field (customers.email) is FORBIDDEN on both within 1 s, other fields still served', async () => {
    const EMAIL = '{ customers(filter: {id: {eq: 1}}) { id email } }';
    const rule = { role: 'owner', typeName: 'customers', fieldName: 'email' };
    for (const node of [a, b])
      expect((await ok(node, EMAIL, apiKey(bob))).customers).toEqual([{ id: 1, email: 'alice@example.com' }]);

    const since = await managed(SET_PERMISSION, { input: { ...rule, disabled: true } });
    await onEveryNodeWithin('customers.email disabled', since, [a, b], async (node) => {
      const res = await query(node, EMAIL, apiKey(bob));
      if (!res.body.errors) return false;
      expect(code(res.body)).toBe('FORBIDDEN');
      expect(res.body.data?.customers ?? null).toBeNull();
      expect(res.text).not.toContain('alice@example.com');
      return true;
    });
    for (const node of [a, b])
      expect(
        (await ok(node, '{ customers(filter: {id: {eq: 1}}) { id name } }', apiKey(bob))).customers,
      ).toEqual([{ id: 1, name: 'Alice Adams' }]);

    await removeRule('customers.email allowed again', rule, EMAIL, bob);
  });
});

describe('result cache: L2 shared by two work nodes (Redis)', () => {
  const CUSTOMERS = '{ customers(order_by: [{field: "id"}]) @cache(ttl: 60) { id name } }';
  const names = async (node: NodeProcess) =>
    ((await ok(node, CUSTOMERS)).customers as { name: string }[]).map((c) => c.name);
  const ORIGINAL = ['Alice Adams', "Bob O'Brien", 'Chloé Dubois', 'Dmitri Иванов', 'Eve 😀 Zed'];

  afterAll(async () => {
    await setCustomerName(1, 'Alice Adams');
    await manage(INVALIDATE, { tags: null });
  }, BOUND_MS);

  it('B serves what A cached (L2), A its own L1; invalidateCache makes both fresh at once', async () => {
    expect(await names(a)).toEqual(ORIGINAL);
    await setCustomerName(1, 'Alice Changed');
    // B never ran this query: the old value can only come from the shared L2.
    expect(await names(b)).toEqual(ORIGINAL);
    expect(await names(a)).toEqual(ORIGINAL);

    const res = await manage<{ invalidateCache: OperationResult }>(INVALIDATE, { tags: ['customers'] });
    expectApplied(res.invalidateCache, ['a', 'b']);
    const fresh = ['Alice Changed', ...ORIGINAL.slice(1)];
    expect(await names(b)).toEqual(fresh);
    expect(await names(a)).toEqual(fresh);
  });

  it('a worker’s core.cache.invalidate does the same from a work node', async () => {
    await setCustomerName(1, 'Alice Again');
    const before = await names(a); // cached: still the value of the previous test
    expect(before[0]).toBe('Alice Changed');
    const res = await ok(
      a,
      '{ function { core { cache { invalidate(tags: ["customers"]) { success } } } } }',
    );
    expect(res.function.core.cache.invalidate).toEqual({ success: true });
    expect((await names(b))[0]).toBe('Alice Again');
    expect((await names(a))[0]).toBe('Alice Again');
  });

  describe('a mutation through one node invalidates what both nodes cached before it answers', () => {
    // Reads are not filtered by soft_delete_cond (docs/query-language.md): the query hides deleted notes itself.
    const NOTES =
      '{ rw_notes(filter: {deleted_at: {is_null: true}}, order_by: [{field: "id"}]) @cache(ttl: 60) { id body } }';
    const bodies = async (node: NodeProcess) =>
      ((await ok(node, NOTES)).rw_notes as { body: string }[]).map((n) => n.body);
    const inDb = async () =>
      (await db.query('SELECT body FROM notes WHERE deleted_at IS NULL ORDER BY id')).rows.map(
        (r: { body: string }) => r.body,
      );

    /** A caches the notes, B reads A's entry; then a row changes behind Muninn's back: both keep the cached list. */
    async function cachedOnBoth(direct: string): Promise<void> {
      await manage(INVALIDATE, { tags: ['rw_notes'] });
      const cached = await bodies(a);
      expect(await bodies(b)).toEqual(cached);
      await db.query('UPDATE notes SET body = $1 WHERE id = 2', [direct]);
      expect(await bodies(a)).toEqual(cached);
      expect(await bodies(b)).toEqual(cached);
      expect(await inDb()).not.toEqual(cached);
    }

    async function freshOnBoth(first: NodeProcess, second: NodeProcess): Promise<void> {
      const expected = await inDb();
      expect(await bodies(first)).toEqual(expected);
      expect(await bodies(second)).toEqual(expected);
    }

    it('insert through A', async () => {
      await cachedOnBoth('two (direct, insert)');
      const res = await ok(a, 'mutation { insert_rw_notes(data: {id: 10, body: "ten"}) { id body } }');
      expect(res.insert_rw_notes).toEqual({ id: 10, body: 'ten' });
      await freshOnBoth(b, a);
      expect(await bodies(b)).toEqual(['one', 'two (direct, insert)', 'three', 'ten']);
    });

    it('update through A, then through B', async () => {
      await cachedOnBoth('two (direct, update)');
      const update = (node: NodeProcess, body: string) =>
        ok(
          node,
          `mutation { update_rw_notes(filter: {id: {eq: 1}}, data: {body: "${body}"}) { affected_rows } }`,
        );
      expect((await update(a, 'one (via a)')).update_rw_notes).toEqual({ affected_rows: 1 });
      await freshOnBoth(b, a);
      await cachedOnBoth('two (direct, update 2)');
      expect((await update(b, 'one (via b)')).update_rw_notes).toEqual({ affected_rows: 1 });
      await freshOnBoth(a, b);
    });

    it('delete (soft) through B', async () => {
      await cachedOnBoth('two (direct, delete)');
      const res = await ok(b, 'mutation { delete_rw_notes(filter: {id: {eq: 10}}) { affected_rows } }');
      expect(res.delete_rw_notes).toEqual({ affected_rows: 1 });
      await freshOnBoth(a, b);
    });
  });
});

describe('cached results are never shared between identities', () => {
  const ORDERS = (cacheArgs: string) => `{ orders(order_by: [{field: "id"}]) @cache(${cacheArgs}) { id } }`;

  it('two users of one role filtered by [$auth.user_id_int], same @cache key, on one node and across nodes', async () => {
    await createRoleOwningOrders('tenant', '[$auth.user_id_int]');
    await manage(CREATE_ROLE, { input: { name: 'auditor' } });
    const u1 = await createKey({ name: 'tenant-1', defaultRole: 'tenant', claims: { user_id: '1' } });
    const u2 = await createKey({ name: 'tenant-2', defaultRole: 'tenant', claims: { user_id: '2' } });
    const auditor = await createKey({ name: 'auditor-1', defaultRole: 'auditor', claims: { user_id: '1' } });

    for (const args of ['ttl: 60, key: "k"', 'ttl: 60']) {
      const q = ORDERS(args);
      const seen = async (node: NodeProcess, headers: Record<string, string>) =>
        ids((await ok(node, q, headers)).orders);
      // Each caller runs the query twice per node: the second answer is a cache hit.
      for (const node of [a, b, a, b]) {
        expect(await seen(node, apiKey(u1))).toEqual([1, 2]);
        expect(await seen(node, apiKey(u2))).toEqual([3, 4]);
        // Same user id, another role (no rows): its own entry.
        expect(await seen(node, apiKey(auditor))).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
        expect(await seen(node, ADMIN)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
        // The admin acting as a user of the role: that user's rows.
        expect(await seen(node, { ...ADMIN, 'x-hugr-role': 'tenant', 'x-hugr-user-id': '2' })).toEqual([
          3, 4,
        ]);
      }
    }
  });

  it('one user whose claims differ (e.g. another tenant) does not get the other claims’ cached rows', async () => {
    // The claim `customer`, not the user, decides which rows the caller may read.
    await createRoleOwningOrders('bycustomer', '[$auth.customer]');
    const k1 = await createKey({
      name: 'same-user-c1',
      defaultRole: 'bycustomer',
      claims: { user_id: 'u', customer: 1 },
    });
    const k2 = await createKey({
      name: 'same-user-c2',
      defaultRole: 'bycustomer',
      claims: { user_id: 'u', customer: 2 },
    });
    const q = ORDERS('ttl: 60, key: "by-customer"');
    expect(ids((await ok(a, q, apiKey(k1))).orders)).toEqual([1, 2]);
    expect(ids((await ok(a, q, apiKey(k2))).orders)).toEqual([3, 4]);
    expect(ids((await ok(b, q, apiKey(k2))).orders)).toEqual([3, 4]);
  });
});

describe('a version that changes only roles, permissions or keys keeps every engine and connection', () => {
  const ORDERS = '{ orders(order_by: [{field: "id"}]) @cache(ttl: 60, key: "kept-engine") { id } }';
  const RELOAD =
    'mutation ($name: String!) { reloadDataSource(name: $name) { success nodes { node success } } }';

  /** The work nodes' connections to the data database opened after `since` (the database's clock). */
  async function opened(since: Date): Promise<string[]> {
    const res = await db.query<{ app: string; pid: number }>(
      `SELECT application_name AS app, pid FROM pg_stat_activity
        WHERE datname = current_database() AND application_name LIKE 'muninn:%' AND backend_start > $1
        ORDER BY pid`,
      [since],
    );
    return res.rows.map((r) => `${r.app}#${r.pid}`);
  }

  const now = async (): Promise<Date> =>
    (await db.query<{ t: Date }>('SELECT clock_timestamp() AS t')).rows[0].t;
  const kept = (node: NodeProcess) =>
    node.log.split('\n').filter((l) => l.includes('the served engine and its connections are kept')).length;

  it('a permission change applies on both nodes within 1 s (also to results cached under a custom key) without a new connection; a reload reconnects', async () => {
    await manage(CREATE_ROLE, { input: { name: 'kept' } });
    const key = await createKey({ name: 'kept-1', defaultRole: 'kept', claims: { user_id: '1' } });
    const orders = async (node: NodeProcess) => ids((await ok(node, ORDERS, apiKey(key))).orders);
    // Warm: both nodes hold connections and have the answer cached (the role has no rows yet).
    for (const node of [a, b, a, b]) expect(await orders(node)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    const keptBefore = [kept(a), kept(b)];
    const since = await now();

    const answered = await managed(SET_PERMISSION, { input: ownOrders('kept', '[$auth.user_id_int]') });
    await onEveryNodeWithin(
      'permission on a kept engine',
      answered,
      [a, b],
      async (node) => JSON.stringify(await orders(node)) === '[1,2]',
    );
    for (const node of [a, b]) expect(await orders(node)).toEqual([1, 2]);
    expect(await opened(since)).toEqual([]);
    expect([kept(a), kept(b)]).toEqual([keptBefore[0] + 1, keptBefore[1] + 1]);

    // A reload bumps the source's row: both nodes build a new engine and connect again.
    const reloadedAt = await now();
    const reload = await manage<{ reloadDataSource: OperationResult }>(RELOAD, { name: 'conf' });
    expectApplied(reload.reloadDataSource, ['a', 'b']);
    for (const node of [a, b]) expect(await orders(node)).toEqual([1, 2]);
    expect(
      (await opened(reloadedAt)).filter((c) => c.startsWith('muninn:conf#')).length,
    ).toBeGreaterThanOrEqual(2);
    expect([kept(a), kept(b)]).toEqual([keptBefore[0] + 1, keptBefore[1] + 1]);
  });
});

describe('Redis killed mid-load', () => {
  it(
    'no request fails, readiness stays 200 with l2 down, and L2 works again after a restart on the same port',
    async () => {
      let done = 0;
      const failures: string[] = [];
      let stop = false;
      let n = 0;
      const one = async () => {
        const i = n++;
        const node = i % 2 ? b : a;
        // On both nodes, half repeat a few entries (L1 hits), half are new (L2 reads and writes, then PostgreSQL).
        const q =
          Math.floor(i / 2) % 2
            ? `{ customers(filter: {id: {eq: ${1 + (i % 5)}}}) @cache(ttl: 60) { id name } }`
            : `{ orders(order_by: [{field: "id"}], limit: ${i + 1}) @cache(ttl: 60) { id } }`;
        try {
          const res = await query(node, q, ADMIN);
          if (res.status !== 200 || res.body.errors) failures.push(`${res.status} ${res.text.slice(0, 200)}`);
        } catch (err) {
          failures.push(String(err));
        }
        done++;
      };
      const loop = async () => {
        while (!stop) {
          await one();
          await new Promise((r) => setTimeout(r, 20));
        }
      };
      const loops = Array.from({ length: 8 }, loop);
      // Readiness is watched on both nodes for the whole outage: it must never leave 200.
      const notReady: string[] = [];
      const watch = (async () => {
        while (!stop)
          for (const node of [a, b]) {
            const r = await readiness(node);
            if (r.status !== 200) notReady.push(`${node.port}: ${r.status}`);
          }
      })();
      try {
        await waitFor('load before the kill', () => done >= 100, 10_000, 10);
        await redis.kill('SIGKILL');
        const killedAt = done;
        // The nodes notice on their next L2 operation; readiness stays 200 and says so.
        for (const node of [a, b])
          await waitFor(
            `node ${node.port} to report l2 down`,
            async () => {
              const r = await readiness(node);
              expect(r.status).toBe(200);
              return r.l2.up === false && r.l2.backend === 'redis';
            },
            10_000,
            50,
          );
        await waitFor('load while l2 is down', () => done >= Math.max(killedAt + 150, 300), 20_000, 10);
      } finally {
        stop = true;
        await Promise.all([...loops, watch]);
      }
      expect(notReady).toEqual([]);
      timings.push(`redis kill: ${done} requests, ${failures.length} failed`);
      expect(failures).toEqual([]);
      expect(done).toBeGreaterThanOrEqual(300);

      // Same port, empty Redis: both nodes reconnect by themselves.
      redis = await local.redis(redis.port);
      for (const node of [a, b])
        await waitFor(
          `node ${node.port} to report l2 up`,
          async () => (await readiness(node)).l2.up,
          15_000,
          100,
        );

      // Not a statement of the load above: no L1 entry of it can exist on either node.
      const ONE = '{ customers(filter: {id: {in: [3]}}) @cache(ttl: 60) { id name } }';
      expect((await ok(a, ONE)).customers).toEqual([{ id: 3, name: 'Chloé Dubois' }]);
      await setCustomerName(3, 'Chloé Changed');
      try {
        expect((await ok(b, ONE)).customers).toEqual([{ id: 3, name: 'Chloé Dubois' }]);
      } finally {
        await setCustomerName(3, 'Chloé Dubois');
        await manage(INVALIDATE, { tags: null });
      }
    },
    BOUND_MS,
  );
});

describe('result cache: L2 shared by two work nodes (memcached)', () => {
  let memcached: Server;
  let c: NodeProcess;
  let d: NodeProcess;

  beforeAll(async () => {
    memcached = await local.memcached();
    [c, d] = await Promise.all([
      startNode('worker', workerEnv('c', 'memcached', memcached.address), started),
      startNode('worker', workerEnv('d', 'memcached', memcached.address), started),
    ]);
    await healthyNodes(4);
  }, BOUND_MS);

  afterAll(async () => {
    await setCustomerName(2, "Bob O'Brien");
  }, BOUND_MS);

  it('D serves what C cached; invalidateCache makes both fresh at once', async () => {
    for (const node of [c, d]) expect((await readiness(node)).l2).toEqual({ up: true, backend: 'memcached' });
    const Q =
      '{ customers(filter: {id: {in: [2, 4]}}, order_by: [{field: "id"}]) @cache(ttl: 60) { id name } }';
    const names = async (node: NodeProcess) =>
      ((await ok(node, Q)).customers as { name: string }[]).map((x) => x.name);

    expect(await names(c)).toEqual(["Bob O'Brien", 'Dmitri Иванов']);
    await setCustomerName(2, 'Bob Changed');
    expect(await names(d)).toEqual(["Bob O'Brien", 'Dmitri Иванов']);
    expect(await names(c)).toEqual(["Bob O'Brien", 'Dmitri Иванов']);

    const res = await manage<{ invalidateCache: OperationResult }>(INVALIDATE, { tags: ['customers'] });
    expectApplied(res.invalidateCache, ['a', 'b', 'c', 'd']);
    expect(await names(d)).toEqual(['Bob Changed', 'Dmitri Иванов']);
    expect(await names(c)).toEqual(['Bob Changed', 'Dmitri Иванов']);

    // No pub/sub with memcached: a work node's core.cache.invalidate reaches the other's L1
    // through management's fan-out alone.
    await setCustomerName(2, 'Bob Again');
    expect(await names(d)).toEqual(['Bob Changed', 'Dmitri Иванов']);
    const res2 = await ok(
      c,
      '{ function { core { cache { invalidate(tags: ["customers"]) { success } } } } }',
    );
    expect(res2.function.core.cache.invalidate).toEqual({ success: true });
    expect(await names(d)).toEqual(['Bob Again', 'Dmitri Иванов']);
    expect(await names(c)).toEqual(['Bob Again', 'Dmitri Иванов']);
  });

  it('an insert through D invalidates what C cached (fan-out only) before it answers', async () => {
    const NOTES = '{ rw_notes(filter: {id: {gt: 10}}, order_by: [{field: "id"}]) @cache(ttl: 60) { id } }';
    const seen = async (node: NodeProcess) => ids((await ok(node, NOTES)).rw_notes);
    expect(await seen(c)).toEqual([]);
    expect(await seen(d)).toEqual([]);
    await db.query(`INSERT INTO notes (id, body) VALUES (11, 'eleven')`);
    expect(await seen(c)).toEqual([]); // cached on both
    expect(await seen(d)).toEqual([]);
    expect(
      (await ok(d, 'mutation { insert_rw_notes(data: {id: 12, body: "twelve"}) { id } }')).insert_rw_notes,
    ).toEqual({ id: 12 });
    expect(await seen(c)).toEqual([11, 12]);
    expect(await seen(d)).toEqual([11, 12]);
  });
});
