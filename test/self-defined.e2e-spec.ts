import { type NodeProcess, graphql, startNode, waitFor } from './support/node-process.js';
import { createTestDatabase, runSql } from './support/postgres.js';

// Self-defined sources through the cluster (docs/data-sources.md "Self-defined sources"):
// management accepts `selfDefined: true` without catalogs, the work node generates the SDL from
// the database at load and serves it, and `function { core { describe_data_source_schema } }`
// answers the generated SDL to admins only.
const CLUSTER_SECRET = 'e2e-self-secret-5d1e';
const ADMIN_KEY = 'e2e-self-admin-93af';

let core: { url: string; drop: () => Promise<void> };
let data: { url: string; drop: () => Promise<void> };
let worker: NodeProcess;
let mgmt: NodeProcess;
const started: NodeProcess[] = [];

/** `key: null` sends no key (the anonymous role, not admin). */
async function query(q: string, key: string | null = ADMIN_KEY) {
  const res = await fetch(`${worker.url}/query`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(key ? { 'x-hugr-secret-key': key } : {}) },
    body: JSON.stringify({ query: q }),
  });
  expect(res.status).toBe(200);
  return (await res.json()) as {
    // eslint-disable-next-line @typescript-eslint/no-explicit-any -- answers are checked by value
    data?: Record<string, any>;
    errors?: Array<{ message: string; extensions?: { code?: string } }>;
  };
}

const GENERATED = `type customers @table(name: "customers") {
  id: Int! @pk
  name: String!
}

type orders @table(name: "orders") {
  id: Int! @pk
  customer_id: Int @field_references(references_name: "customers", field: "id", query: "customer", references_query: "orders")
}
`;

beforeAll(async () => {
  [core, data] = await Promise.all([
    createTestDatabase('muninn_self_core'),
    createTestDatabase('muninn_self_data'),
  ]);
  await runSql(
    data.url,
    `CREATE TABLE customers (id int PRIMARY KEY, name text NOT NULL);
     CREATE TABLE orders (id int PRIMARY KEY, customer_id int REFERENCES customers (id));
     INSERT INTO customers VALUES (1, 'Ada'); INSERT INTO orders VALUES (7, 1);`,
  );
  mgmt = await startNode(
    'management',
    { CLUSTER_SECRET, SECRET_KEY: ADMIN_KEY, CORE_DB_PATH: core.url, CHECK: '1s', DRAIN_DELAY: '0s' },
    started,
  );
  worker = await startNode(
    'worker',
    {
      CLUSTER_SECRET,
      SECRET_KEY: ADMIN_KEY,
      ALLOWED_ANONYMOUS: 'true',
      CLUSTER_MANAGEMENT_URL: mgmt.url,
      CLUSTER_NODE_NAME: 'w1',
      CORE_DB_PATH: core.url,
      DRAIN_DELAY: '0s',
    },
    started,
  );
  await waitFor('worker healthy', async () => {
    const res = await graphql<{ nodes: { status: string }[] }>(mgmt.url, ADMIN_KEY, '{ nodes { status } }');
    return res.data?.nodes.some((n) => n.status === 'HEALTHY') ?? false;
  });
});

afterAll(async () => {
  await Promise.all(started.map((p) => p.kill()));
  await Promise.all([core?.drop(), data?.drop()]);
});

describe('self-defined data sources', () => {
  it('describes a defined, not yet loaded source to admins', async () => {
    const created = await graphql<{ createDataSource: { name: string; selfDefined: boolean } }>(
      mgmt.url,
      ADMIN_KEY,
      `mutation { createDataSource(input: { name: "shop", type: "postgres", prefix: "", path: "${data.url}",
        selfDefined: true }) { name selfDefined } }`,
    );
    expect(created.data).toEqual({ createDataSource: { name: 'shop', selfDefined: true } });
    await waitFor('the worker sees the definition', async () => {
      const body = await query('{ function { core { describe_data_source_schema(name: "shop") } } }');
      return body.data?.function?.core?.describe_data_source_schema === GENERATED;
    });
  });

  it('loads it with no catalogs and serves its relations', async () => {
    const loaded = await graphql<{ loadDataSource: { success: boolean; message: string } }>(
      mgmt.url,
      ADMIN_KEY,
      'mutation { loadDataSource(name: "shop") { success message } }',
    );
    expect(loaded.data?.loadDataSource.success).toBe(true);
    expect(await query('{ orders { id customer { name orders { id } } } }')).toEqual({
      data: { orders: [{ id: 7, customer: { name: 'Ada', orders: [{ id: 7 }] } }] },
    });
  });

  it('refuses describe_data_source_schema to non-admins and names unknown sources', async () => {
    const anon = await query('{ function { core { describe_data_source_schema(name: "shop") } } }', null);
    expect(anon.errors?.[0]).toMatchObject({
      message: expect.stringMatching(/needs the admin role/),
      extensions: { code: 'FORBIDDEN' },
    });
    expect(JSON.stringify(anon)).not.toContain('type customers');
    const unknown = await query('{ function { core { describe_data_source_schema(name: "nope") } } }');
    expect(unknown.errors?.[0].message).toBe('data source "nope" does not exist');
  });
});
