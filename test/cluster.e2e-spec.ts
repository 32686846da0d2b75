import pg from 'pg';
import { NodeProcess, freePort, graphql, waitFor } from './support/node-process.js';
import { createTestDatabase } from './support/postgres.js';
import { clusterCall } from './support/signed.js';

const CLUSTER_SECRET = 'e2e-cluster-secret-7c1f9a';
const ADMIN_KEY = 'e2e-admin-key-52be01';
const CHECK_MS = 1000;
const TIMEOUT_MS = 1000;
const POLL_MS = 2000;

interface NodeView {
  name: string;
  status: string;
  schemaVersion: number;
}

let db: { url: string; drop: () => Promise<void> };
let mgmt: NodeProcess;
const workers: Record<string, NodeProcess> = {};
const everyProcess: NodeProcess[] = [];

async function nodes(): Promise<NodeView[]> {
  const res = await graphql<{ nodes: NodeView[] }>(
    mgmt.url,
    ADMIN_KEY,
    '{ nodes { name status schemaVersion } }',
  );
  return res.data!.nodes;
}

async function nodeStatus(name: string): Promise<string | undefined> {
  return (await nodes()).find((n) => n.name === name)?.status;
}

async function appliedVersion(worker: NodeProcess): Promise<number> {
  const res = await clusterCall(worker.url, 'GET', '/cluster/v1/health', undefined, {
    secret: CLUSTER_SECRET,
  });
  return (res.body as { schemaVersion: number }).schemaVersion;
}

async function currentVersion(): Promise<number> {
  const res = await graphql<{ cluster: { schemaVersion: number } }>(
    mgmt.url,
    ADMIN_KEY,
    '{ cluster { schemaVersion } }',
  );
  return res.data!.cluster.schemaVersion;
}

async function startWorker(
  name: string,
  port?: number,
  extra: Record<string, string> = {},
): Promise<NodeProcess> {
  const p = port ?? (await freePort());
  const w = new NodeProcess('worker', p, {
    CLUSTER_SECRET,
    CLUSTER_MANAGEMENT_URL: mgmt.url,
    CLUSTER_NODE_NAME: name,
    CLUSTER_NODE_URL: `http://127.0.0.1:${p}`,
    CLUSTER_TIMEOUT: '2s',
    // Long heartbeat: catching up must come from pushes and polls, which these tests measure.
    CLUSTER_HEARTBEAT: '60s',
    CLUSTER_POLL_INTERVAL: `${POLL_MS}ms`,
    CORE_DB_PATH: db.url,
    DRAIN_DELAY: '1500ms',
    ...extra,
  }).start();
  everyProcess.push(w);
  workers[name] = w;
  await w.ready();
  return w;
}

const createAndLoad = (name: string) =>
  graphql<{
    loadDataSource: {
      success: boolean;
      schemaVersion: number;
      nodes: { node: string; success: boolean; appliedVersion: number | null; message: string | null }[];
    };
  }>(
    mgmt.url,
    ADMIN_KEY,
    `
      mutation ($name: String!, $path: String!) {
        createDataSource(
          input: {
            name: $name
            type: "postgres"
            path: $path
            catalogs: [{ name: $name, type: TEXT, sdl: "type t @table(name: \\"t\\") { id: Int! @pk }" }]
          }
        ) {
          name
        }
        loadDataSource(name: $name) {
          success
          message
          schemaVersion
          nodes {
            node
            success
            message
            appliedVersion
            durationMs
          }
        }
      }
    `,
    // A reachable database: nodes now connect a source when they load it.
    { name, path: db.url },
  );

beforeAll(async () => {
  db = await createTestDatabase('muninn_cluster');
  mgmt = new NodeProcess('management', await freePort(), {
    CLUSTER_SECRET,
    SECRET_KEY: ADMIN_KEY,
    CORE_DB_PATH: db.url,
    CHECK: `${CHECK_MS}ms`,
    TIMEOUT: `${TIMEOUT_MS}ms`,
    DRAIN_DELAY: '0s',
  }).start();
  everyProcess.push(mgmt);
  await mgmt.ready();
  await Promise.all([startWorker('w1'), startWorker('w2')]);
});

afterAll(async () => {
  await Promise.all(everyProcess.map((p) => p.kill()));
  await db?.drop();
});

describe('cluster control plane (management + two work nodes, real PostgreSQL)', () => {
  it('registers both work nodes and reports them HEALTHY', async () => {
    await waitFor('w1 and w2 HEALTHY', async () => {
      const list = await nodes();
      return list.length === 2 && list.every((n) => n.status === 'HEALTHY');
    });
  });

  it('answers the management API only with the admin key (401 otherwise)', async () => {
    const query = '{ cluster { nodeCount } }';
    expect((await graphql(mgmt.url, undefined, query)).status).toBe(401);
    const wrong = await graphql(mgmt.url, 'not-the-key', query);
    expect(wrong.status).toBe(401);
    expect(wrong.errors?.[0].extensions?.code).toBe('UNAUTHENTICATED');
    const ok = await graphql<{ cluster: { nodeCount: number } }>(mgmt.url, ADMIN_KEY, query);
    expect(ok.status).toBe(200);
    expect(ok.data!.cluster.nodeCount).toBe(2);
  });

  it('returns createDataSource + loadDataSource only after every healthy node applied the new version', async () => {
    const before = await currentVersion();
    const res = await createAndLoad('sales');
    expect(res.errors).toBeUndefined();
    const op = res.data!.loadDataSource;
    expect(op.success).toBe(true);
    expect(op.schemaVersion).toBe(before + 2); // create and load each bump the version
    expect(op.nodes.map((n) => n.node).sort()).toEqual(['w1', 'w2']);
    for (const n of op.nodes) {
      expect(n).toMatchObject({ success: true, appliedVersion: op.schemaVersion });
    }
    // No waiting: the nodes already serve it when the mutation returns.
    expect(await appliedVersion(workers.w1)).toBe(op.schemaVersion);
    expect(await appliedVersion(workers.w2)).toBe(op.schemaVersion);
    const ds = await graphql<{ dataSource: { loaded: boolean; nodes: { node: string; loaded: boolean }[] } }>(
      mgmt.url,
      ADMIN_KEY,
      '{ dataSource(name: "sales") { loaded nodes { node loaded } } }',
    );
    expect(ds.data!.dataSource.loaded).toBe(true);
    expect(ds.data!.dataSource.nodes.every((n) => n.loaded)).toBe(true);
  });

  it('rejects bad input to the management API with a clear error', async () => {
    const dup = await createAndLoad('sales');
    expect(dup.errors?.[0]).toMatchObject({
      message: 'data source "sales" already exists',
      extensions: { code: 'CONFLICT' },
    });
    const missing = await graphql(
      mgmt.url,
      ADMIN_KEY,
      'mutation { unloadDataSource(name: "nope") { success } }',
    );
    expect(missing.errors?.[0].extensions?.code).toBe('NOT_FOUND');
    const bad = await graphql(
      mgmt.url,
      ADMIN_KEY,
      `
        mutation {
          createDataSource(input: { name: "x'; drop table roles; --", type: "postgres", path: "p" }) {
            name
          }
        }
      `,
    );
    expect(bad.errors?.[0].extensions?.code).toBe('BAD_USER_INPUT');
  });

  it('closes every /cluster/v1 endpoint to unsigned, wrongly signed and stale calls, changing nothing', async () => {
    const version = await currentVersion();
    const register = {
      name: 'intruder',
      url: 'http://127.0.0.1:1',
      version: 'x',
      startedAt: new Date().toISOString(),
      schemaVersion: 0,
      ready: true,
    };
    const calls: [string, 'GET' | 'POST' | 'DELETE', string, unknown][] = [
      [mgmt.url, 'POST', '/cluster/v1/nodes', register],
      [
        mgmt.url,
        'POST',
        '/cluster/v1/nodes/w1/heartbeat',
        { schemaVersion: 0, ready: false, draining: true },
      ],
      [mgmt.url, 'DELETE', '/cluster/v1/nodes/w1', undefined],
      [mgmt.url, 'GET', '/cluster/v1/health', undefined],
      [workers.w1.url, 'GET', '/cluster/v1/health', undefined],
      [workers.w1.url, 'POST', '/cluster/v1/sync', { schemaVersion: version + 100 }],
    ];
    const variants = [
      undefined,
      { secret: 'wrong-secret-value' },
      { secret: CLUSTER_SECRET, now: Date.now() - 60_000 },
      { secret: CLUSTER_SECRET, now: Date.now() + 60_000 },
    ];
    for (const [base, method, path, body] of calls) {
      for (const sign of variants) {
        const res = await clusterCall(base, method, path, body, sign);
        expect({ path, sign: sign?.secret ?? 'none', status: res.status }).toEqual({
          path,
          sign: sign?.secret ?? 'none',
          status: 401,
        });
        expect(JSON.stringify(res.body)).not.toContain(CLUSTER_SECRET);
      }
    }
    const list = await nodes();
    expect(list.map((n) => n.name).sort()).toEqual(['w1', 'w2']);
    expect(list.find((n) => n.name === 'w1')!.status).toBe('HEALTHY');
    expect(await appliedVersion(workers.w1)).toBe(version);
  });

  it('repairs a missed push by polling within one poll interval', async () => {
    const client = new pg.Client({ connectionString: db.url });
    await client.connect();
    // A version bump that management never pushed (as if every push had been lost).
    const { rows } = await client.query(
      `UPDATE settings SET value = (value::int + 1)::text WHERE key = 'schema_version' RETURNING value`,
    );
    await client.end();
    const target = Number(rows[0].value);
    const started = Date.now();
    await waitFor(
      'both workers at the new version',
      async () =>
        (await appliedVersion(workers.w1)) === target && (await appliedVersion(workers.w2)) === target,
      POLL_MS + 1500,
      50,
    );
    expect(Date.now() - started).toBeLessThanOrEqual(POLL_MS + 1500);
  });

  it('reports a blocked node as failed in the push, and the node catches up once released', async () => {
    workers.w2.signal('SIGSTOP');
    try {
      const res = await graphql<{
        reloadDataSource: {
          success: boolean;
          schemaVersion: number;
          nodes: { node: string; success: boolean; message: string | null }[];
        };
      }>(
        mgmt.url,
        ADMIN_KEY,
        'mutation { reloadDataSource(name: "sales") { success schemaVersion nodes { node success message } } }',
      );
      const op = res.data!.reloadDataSource;
      expect(op.success).toBe(false);
      const byNode = Object.fromEntries(op.nodes.map((n) => [n.node, n]));
      expect(byNode.w1.success).toBe(true);
      // w2 is either pushed to and times out, or already UNHEALTHY and left out of the push.
      if (byNode.w2) expect(byNode.w2).toMatchObject({ success: false });
      workers.w2.signal('SIGCONT');
      await waitFor(
        'w2 caught up',
        async () => (await appliedVersion(workers.w2)) === op.schemaVersion,
        POLL_MS + 3000,
        50,
      );
      await waitFor(
        'w2 HEALTHY again',
        async () => (await nodeStatus('w2')) === 'HEALTHY',
        2 * CHECK_MS + TIMEOUT_MS + 2000,
      );
    } finally {
      workers.w2.signal('SIGCONT');
    }
  });

  it('marks a kill -9ed node UNHEALTHY within 2 × CHECK + TIMEOUT; restarted, it is HEALTHY and current', async () => {
    const w1 = workers.w1;
    await waitFor('w1 HEALTHY', async () => (await nodeStatus('w1')) === 'HEALTHY');
    const killedAt = Date.now();
    await w1.stop('SIGKILL');
    await waitFor('w1 UNHEALTHY', async () => (await nodeStatus('w1')) === 'UNHEALTHY', 10_000, 50);
    const detectedIn = Date.now() - killedAt;
    expect(detectedIn).toBeLessThanOrEqual(2 * CHECK_MS + TIMEOUT_MS + 500);

    // The cluster moves on while w1 is down; w1 is left out of the push.
    const res = await createAndLoad('inventory');
    const op = res.data!.loadDataSource;
    expect(op.nodes.map((n) => n.node)).toEqual(['w2']);

    await startWorker('w1', w1.port);
    await waitFor('w1 HEALTHY again', async () => (await nodeStatus('w1')) === 'HEALTHY', 10_000);
    expect(await appliedVersion(workers.w1)).toBe(await currentVersion());
  });

  it('keeps its node list across a management restart and checks the same nodes', async () => {
    expect(await mgmt.stop('SIGTERM')).toBe(0);
    // Management down: work nodes keep serving.
    const live = await fetch(`${workers.w1.url}/health/ready`);
    expect(live.status).toBe(200);
    mgmt.start();
    await mgmt.ready();
    expect((await nodes()).map((n) => n.name).sort()).toEqual(['w1', 'w2']);
    await waitFor(
      'both HEALTHY after the restart',
      async () => (await nodes()).every((n) => n.status === 'HEALTHY'),
      10_000,
    );
  });

  it('on SIGTERM turns not-ready (503) while draining, deregisters and exits 0', async () => {
    const w2 = workers.w2;
    w2.signal('SIGTERM');
    const draining = await waitFor(
      'readiness 503 while draining',
      async () => {
        const res = await fetch(`${w2.url}/health/ready`);
        if (res.status !== 503) return undefined;
        const body = (await res.json()) as { details: { schema: { state: string } } };
        return body.details.schema.state === 'draining' ? body : undefined;
      },
      5000,
      20,
    );
    expect(draining.details.schema).toMatchObject({ state: 'draining', status: 'down' });
    await waitFor('w2 deregistered', async () => !(await nodes()).some((n) => n.name === 'w2'), 5000);
    expect(await w2.waitExit()).toBe(0);
  });

  it('never writes a secret to any log', () => {
    // Requests are logged (JSON lines with a request id), credentials redacted.
    expect(mgmt.log).toMatch(/"req":\{"id":"[^"]+","method":"POST","url":"\/graphql"/);
    expect(mgmt.log).toContain('"x-hugr-secret-key":"[redacted]"');
    for (const p of everyProcess) {
      expect(p.log.length).toBeGreaterThan(0);
      expect(p.log).not.toContain(CLUSTER_SECRET);
      expect(p.log).not.toContain(ADMIN_KEY);
    }
  });
});

describe('readiness before the first schema apply', () => {
  it('is 503 until the node has applied a schema version', async () => {
    const blocker = new pg.Client({ connectionString: db.url });
    await blocker.connect();
    await blocker.query('BEGIN');
    await blocker.query('LOCK TABLE settings IN ACCESS EXCLUSIVE MODE'); // the first apply waits here
    const port = await freePort();
    const w3 = new NodeProcess('worker', port, {
      CLUSTER_SECRET,
      CLUSTER_MANAGEMENT_URL: mgmt.url,
      CLUSTER_NODE_NAME: 'w3',
      CLUSTER_NODE_URL: `http://127.0.0.1:${port}`,
      CORE_DB_PATH: db.url,
    }).start();
    everyProcess.push(w3);
    try {
      await waitFor('w3 alive', async () => (await fetch(`${w3.url}/health/live`)).status === 200);
      const notReady = await fetch(`${w3.url}/health/ready`);
      expect(notReady.status).toBe(503);
      expect(((await notReady.json()) as { error: Record<string, unknown> }).error).toHaveProperty('schema');
    } finally {
      await blocker.query('COMMIT');
      await blocker.end();
    }
    await w3.ready();
    expect(await w3.stop('SIGTERM')).toBe(0);
  });
});
