/**
 * A DuckDB source over Parquet on object storage, end to end (issue: "register storage through
 * management, load a DuckDB source whose views read s3://bucket/… Parquet, query it on two work
 * nodes; rotate the credentials; unregister and see a clear error"): real s3rver on loopback,
 * real management and work nodes, real PostgreSQL core DB.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { DuckDBInstance } from '@duckdb/node-api';

import { type NodeProcess, graphql, startNode, waitFor } from './support/node-process.js';
import { createTestDatabase } from './support/postgres.js';
import { TestS3Server } from './support/s3-server.js';

const CLUSTER_SECRET = 'e2e-duckdb-s3-cluster-secret-7f3a';
const ADMIN_KEY = 'e2e-duckdb-s3-admin-2c91';
const KEY_1 = 'AKIAMUNINNDUCK0001';
const SECRET_1 = 'duck-secret-one-Hq2m8Vt4';
const KEY_2 = 'AKIAMUNINNDUCK0002';
const SECRET_2 = 'duck-secret-two-Rz6p1Nc9';

const SDL = `type lake_items @view(name: "lake_items", sql: "SELECT * FROM read_parquet('s3://lake/items/*.parquet')") {
  id: BigInt! @pk
  name: String
  price: Float
}`;

let s3: TestS3Server;
let core: { url: string; drop: () => Promise<void> };
let mgmt: NodeProcess;
let workers: NodeProcess[];
const started: NodeProcess[] = [];
const dirs: string[] = [];

const admin = <T>(query: string, variables?: Record<string, unknown>) =>
  graphql<T>(mgmt.url, ADMIN_KEY, query, variables);

async function query(w: NodeProcess, q: string) {
  const res = await fetch(`${w.url}/query`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-hugr-secret-key': ADMIN_KEY },
    body: JSON.stringify({ query: q }),
  });
  expect(res.status).toBe(200);
  return (await res.json()) as {
    data?: Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
    errors?: Array<{ message: string; extensions?: { code?: string } }>;
  };
}

/** Parquet bytes written by DuckDB itself (rows id 1..n). */
async function parquet(from: number, to: number): Promise<Buffer> {
  const dir = mkdtempSync(join(tmpdir(), 'muninn-duck-s3-'));
  dirs.push(dir);
  const instance = await DuckDBInstance.create(':memory:');
  const conn = await instance.connect();
  await conn.run(
    `COPY (SELECT i::BIGINT AS id, 'item ' || i AS name, i * 1.5 AS price FROM range(${from}, ${to + 1}) r(i)) TO '${dir}/p.parquet' (FORMAT parquet)`,
  );
  conn.closeSync();
  instance.closeSync();
  return readFileSync(join(dir, 'p.parquet'));
}

const REGISTER = `mutation ($input: StorageInput!) { registerStorage(input: $input) { success message } }`;
const lake = (key: string, secret: string) => ({
  input: {
    name: 'lake',
    scope: 's3://lake',
    endpoint: `http://${s3.endpoint}`,
    region: 'us-east-1',
    urlStyle: 'PATH',
    key,
    secret,
  },
});
type Op = {
  success: boolean;
  message: string;
  nodes: Array<{ node: string; success: boolean; message?: string | null }>;
};
const RELOAD =
  'mutation { reloadDataSource(name: "lake") { success message nodes { node success message } } }';

beforeAll(async () => {
  s3 = await new TestS3Server(['lake']).start();
  s3.addKey(KEY_1, SECRET_1);
  await s3.put('lake', 'items/part-1.parquet', await parquet(1, 3));
  await s3.put('lake', 'items/part-2.parquet', await parquet(4, 5));
  core = await createTestDatabase('muninn_duck_s3_core');
  mgmt = await startNode(
    'management',
    { CLUSTER_SECRET, SECRET_KEY: ADMIN_KEY, CORE_DB_PATH: core.url, CHECK: '1s', DRAIN_DELAY: '0s' },
    started,
  );
  workers = await Promise.all(
    ['d1', 'd2'].map((name) => {
      const cache = mkdtempSync(join(tmpdir(), `muninn-duck-cache-${name}-`));
      dirs.push(cache);
      return startNode(
        'worker',
        {
          CLUSTER_SECRET,
          CLUSTER_MANAGEMENT_URL: mgmt.url,
          CLUSTER_NODE_NAME: name,
          CORE_DB_PATH: core.url,
          SECRET_KEY: ADMIN_KEY,
          DRAIN_DELAY: '0s',
          STORAGE_CACHE_DIR: cache,
        },
        started,
      );
    }),
  );
  await waitFor('both workers healthy', async () => {
    const res = await admin<{ nodes: { status: string }[] }>('{ nodes { status } }');
    return res.data?.nodes.filter((n) => n.status === 'HEALTHY').length === 2;
  });
});

afterAll(async () => {
  await Promise.all(started.map((p) => p.kill()));
  await core?.drop();
  await s3?.stop();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

describe('DuckDB over Parquet on object storage, two work nodes', () => {
  it('registers the storage, loads a duckdb source reading s3:// Parquet and serves it on both nodes', async () => {
    expect(
      (await admin<{ registerStorage: Op }>(REGISTER, lake(KEY_1, SECRET_1))).data!.registerStorage.success,
    ).toBe(true);
    const created = await admin<{ loadDataSource: Op }>(
      `mutation ($input: DataSourceInput!) {
         createDataSource(input: $input) { name }
         loadDataSource(name: "lake") { success message nodes { node success message } }
       }`,
      {
        input: {
          name: 'lake',
          type: 'duckdb',
          prefix: '',
          path: '',
          readOnly: true,
          catalogs: [{ name: 'lake', type: 'TEXT', sdl: SDL }],
        },
      },
    );
    expect(created.errors).toBeUndefined();
    expect(created.data!.loadDataSource.nodes.map((n) => [n.node, n.success]).sort()).toEqual([
      ['d1', true],
      ['d2', true],
    ]);
    for (const w of workers) {
      const body = await query(
        w,
        '{ lake_items(order_by: [{field: "id"}]) { id name } lake_items_aggregation { _rows_count price { sum } } }',
      );
      expect(body.errors).toBeUndefined();
      expect(body.data!.lake_items.map((r: { id: number }) => r.id)).toEqual([1, 2, 3, 4, 5]);
      expect(body.data!.lake_items_aggregation).toEqual({ _rows_count: 5, price: { sum: 22.5 } });
    }
  });

  it('rotates the credentials: with the old key revoked, a reload works only after the new key is registered', async () => {
    s3.revokeKey(KEY_1);
    s3.addKey(KEY_2, SECRET_2);
    await s3.put('lake', 'items/part-3.parquet', await parquet(6, 6));
    const denied = (await admin<{ reloadDataSource: Op }>(RELOAD)).data!.reloadDataSource;
    // Each node applied the version and reports the source it could not load (and left it out).
    expect(denied.nodes).toHaveLength(2);
    for (const n of denied.nodes)
      expect(n.message).toMatch(/^lake: storage lake: access denied to s3:\/\/lake\/items/);
    expect(JSON.stringify(denied)).not.toContain(SECRET_1);

    expect(
      (await admin<{ registerStorage: Op }>(REGISTER, lake(KEY_2, SECRET_2))).data!.registerStorage.success,
    ).toBe(true);
    const ok = (await admin<{ reloadDataSource: Op }>(RELOAD)).data!.reloadDataSource;
    expect(ok.nodes.map((n) => [n.node, n.success, n.message ?? null]).sort()).toEqual([
      ['d1', true, null],
      ['d2', true, null],
    ]);
    for (const w of workers) {
      const body = await query(w, '{ lake_items_aggregation { _rows_count } }');
      expect(body.data!.lake_items_aggregation._rows_count).toBe(6);
    }
  });

  it('unregisters the storage: the source cannot load and the error says why', async () => {
    expect(
      (
        await admin<{ unregisterStorage: Op }>(
          'mutation { unregisterStorage(name: "lake") { success message } }',
        )
      ).data!.unregisterStorage.success,
    ).toBe(true);
    const res = (await admin<{ reloadDataSource: Op }>(RELOAD)).data!.reloadDataSource;
    expect(res.nodes).toHaveLength(2);
    for (const n of res.nodes)
      expect(n.message).toMatch(/^lake: no storage registered for s3:\/\/lake\/items/);
    for (const w of workers) {
      const body = await query(w, '{ lake_items { id } }');
      expect(body.errors?.[0]?.extensions?.code).toBe('GRAPHQL_VALIDATION_FAILED');
    }
  });

  it('never writes a key or secret to a log line', () => {
    for (const node of [mgmt, ...workers])
      for (const value of [SECRET_1, SECRET_2, KEY_1, KEY_2]) expect(node.log).not.toContain(value);
  });
});
