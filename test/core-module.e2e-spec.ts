import { type NodeProcess, graphql, startNode, waitFor } from './support/node-process.js';
import { createTestDatabase, runSql } from './support/postgres.js';

// Hugr's `core` module on work nodes in cluster mode: a Hugr client drives the cluster through any
// node — writes and lifecycle calls are forwarded (signed) to management.
const CLUSTER_SECRET = 'e2e-core-secret-61b2';
const ADMIN_KEY = 'e2e-core-admin-0c7d';

let core: { url: string; drop: () => Promise<void> };
let data: { url: string; drop: () => Promise<void> };
let mgmt: NodeProcess;
const workers: NodeProcess[] = [];
/** Every process started, for cleanup (also those that never got ready). */
const started: NodeProcess[] = [];

/** `key: null` sends no admin key. */
async function query(w: NodeProcess, q: string, key: string | null = ADMIN_KEY) {
  const res = await fetch(`${w.url}/query`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(key ? { 'x-hugr-secret-key': key } : {}) },
    body: JSON.stringify({ query: q }),
  });
  expect(res.status).toBe(200);
  return (await res.json()) as {
    data?: Record<string, any>;
    errors?: Array<{ message: string; extensions?: { code?: string } }>;
  };
}

const startWorker = (name: string) =>
  startNode(
    'worker',
    {
      CLUSTER_SECRET,
      SECRET_KEY: ADMIN_KEY,
      // Calls without the admin key run as the anonymous role (public: no permission rows).
      ALLOWED_ANONYMOUS: 'true',
      CLUSTER_MANAGEMENT_URL: mgmt.url,
      CLUSTER_NODE_NAME: name,
      CORE_DB_PATH: core.url,
      DRAIN_DELAY: '0s',
    },
    started,
  );

const SDL = 'type items @table(name: "items") { id: Int! @pk  label: String }';

beforeAll(async () => {
  [core, data] = await Promise.all([
    createTestDatabase('muninn_core_mod'),
    createTestDatabase('muninn_core_data'),
  ]);
  await runSql(
    data.url,
    `CREATE TABLE items (id int PRIMARY KEY, label text); INSERT INTO items VALUES (1, 'one'), (2, 'two')`,
  );
  mgmt = await startNode(
    'management',
    { CLUSTER_SECRET, SECRET_KEY: ADMIN_KEY, CORE_DB_PATH: core.url, CHECK: '1s', DRAIN_DELAY: '0s' },
    started,
  );
  workers.push(...(await Promise.all([startWorker('a'), startWorker('b')])));
  await waitFor('both workers healthy', async () => {
    const res = await graphql<{ nodes: { status: string }[] }>(mgmt.url, ADMIN_KEY, '{ nodes { status } }');
    return res.data?.nodes.filter((n) => n.status === 'HEALTHY').length === 2;
  });
});

afterAll(async () => {
  await Promise.all(started.map((p) => p.kill()));
  await Promise.all([core?.drop(), data?.drop()]);
});

describe('core module on work nodes (cluster mode)', () => {
  it('tells which node answers', async () => {
    const [a, b] = workers;
    const body = await query(
      b,
      '{ function { core { info { version cluster_mode node_role node_name } } } }',
    );
    expect(body).toEqual({
      data: {
        function: {
          core: { info: { version: '0.1.0', cluster_mode: true, node_role: 'worker', node_name: 'b' } },
        },
      },
    });
    expect((await query(a, '{ function { core { info { node_name } } } }', null)).data).toEqual({
      function: { core: { info: { node_name: 'a' } } },
    });
  });

  it('runs a Hugr session: insert a source with core on one node, load it with cluster.load_source, query it on another', async () => {
    const [a, b] = workers;
    const inserted = await query(
      a,
      `mutation { core { insert_data_sources(data: {
        name: "hs", type: "postgres", prefix: "hs", as_module: true, path: "${data.url}",
        catalogs: [{ name: "hs", type: "text", path: ${JSON.stringify(SDL)} }]
      }) { name loaded catalogs { name type } } } }`,
    );
    expect(inserted).toEqual({
      data: {
        core: {
          insert_data_sources: { name: 'hs', loaded: false, catalogs: [{ name: 'hs', type: 'text' }] },
        },
      },
    });
    // Management saw the write: it lists the new source.
    const listed = await graphql<{ dataSource: { loaded: boolean } }>(
      mgmt.url,
      ADMIN_KEY,
      '{ dataSource(name: "hs") { loaded } }',
    );
    expect(listed.data!.dataSource).toEqual({ loaded: false });

    const loaded = await query(
      a,
      'mutation { function { core { cluster { load_source(name: "hs") { success message } } } } }',
    );
    expect(loaded.data!.function.core.cluster.load_source.success).toBe(true);
    // The load returns after every healthy node applied it: the other node serves it at once.
    expect(await query(b, '{ hs { items(order_by: [{field: "id"}]) { id label } } }', null)).toEqual({
      data: {
        hs: {
          items: [
            { id: 1, label: 'one' },
            { id: 2, label: 'two' },
          ],
        },
      },
    });
    expect(
      (
        await query(
          b,
          '{ core { data_sources(filter: {name: {eq: "hs"}}) { name loaded catalogs { name } } } }',
        )
      ).data,
    ).toEqual({ core: { data_sources: [{ name: 'hs', loaded: true, catalogs: [{ name: 'hs' }] }] } });

    const unloaded = await query(b, '{ function { core { unload_data_source(name: "hs") { success } } } }');
    expect(unloaded.data!.function.core.unload_data_source).toEqual({ success: true });
    const gone = await query(a, '{ hs { items { id } } }', null);
    expect(gone.errors?.[0].message).toMatch(/Cannot query field "hs"/);
  });

  it('refuses core reads, writes and lifecycle calls to non-admin callers (401 for a wrong key), changing nothing', async () => {
    const [a] = workers;
    for (const q of [
      '{ core { data_sources { name path } } }',
      'mutation { core { delete_data_sources(filter: {}) { affected_rows } } }',
      'mutation { function { core { cluster { unload_source(name: "hs") { success } } } } }',
    ]) {
      // Anonymous (role public): authenticated, but not admin.
      const body = await query(a, q, null);
      expect({ q, body }).toMatchObject({
        body: { errors: [{ message: expect.stringMatching(/needs the admin role/) }] },
      });
      expect(JSON.stringify(body)).not.toContain('postgres://');
      // A wrong key is a bad credential: 401, never downgraded to anonymous.
      const res = await fetch(`${a.url}/query`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-hugr-secret-key': 'wrong-key' },
        body: JSON.stringify({ query: q }),
      });
      expect(res.status).toBe(401);
      expect(await res.text()).not.toContain('postgres://');
    }
    const still = await graphql<{ dataSources: { name: string }[] }>(
      mgmt.url,
      ADMIN_KEY,
      '{ dataSources { name } }',
    );
    expect(still.data!.dataSources.map((d) => d.name)).toContain('hs');
  });

  it('answers a lifecycle call on an unknown source with success false and a message', async () => {
    const body = await query(
      workers[0],
      'mutation { function { core { cluster { reload_source(name: "nope") { success message } } } } }',
    );
    expect(body.data!.function.core.cluster.reload_source).toEqual({
      success: false,
      message: 'data source "nope" does not exist',
    });
  });
});

describe('core module on a standalone work node', () => {
  let solo: NodeProcess;
  let soloCore: { url: string; drop: () => Promise<void> };

  beforeAll(async () => {
    soloCore = await createTestDatabase('muninn_core_solo');
    solo = await startNode(
      'worker',
      { SECRET_KEY: ADMIN_KEY, ALLOWED_ANONYMOUS: 'true', CORE_DB_PATH: soloCore.url, DRAIN_DELAY: '0s' },
      started,
    );
  });

  afterAll(async () => {
    await solo?.kill();
    await soloCore?.drop();
  });

  it('inserts, loads and serves a source by itself', async () => {
    expect((await query(solo, '{ function { core { info { cluster_mode } } } }')).data).toEqual({
      function: { core: { info: { cluster_mode: false } } },
    });
    const inserted = await query(
      solo,
      `mutation { core { insert_data_sources(data: {
        name: "solo", type: "postgres", prefix: "solo", path: "${data.url}",
        catalogs: [{ name: "solo", type: "text", path: ${JSON.stringify(SDL)} }]
      }) { name } } }`,
    );
    expect(inserted).toEqual({ data: { core: { insert_data_sources: { name: 'solo' } } } });
    const loaded = await query(
      solo,
      '{ function { core { load_data_source(name: "solo") { success message } } } }',
    );
    expect(loaded.data!.function.core.load_data_source.success).toBe(true);
    expect((await query(solo, '{ solo_items(order_by: [{field: "id"}]) { id } }', null)).data).toEqual({
      solo_items: [{ id: 1 }, { id: 2 }],
    });
  });
});
