import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { NodeProcess, ROOT, freePort, graphql, waitFor } from './support/node-process.js';

/** Starts scripts/local-cluster.mjs on `home` and resolves once it says it is up. */
async function startLocalCluster(home: string): Promise<{ cluster: ChildProcess; output: () => string }> {
  let out = '';
  const cluster = spawn(process.execPath, [join(ROOT, 'scripts/local-cluster.mjs')], {
    cwd: ROOT,
    // PGHOST/PGPORT point nowhere: the local cluster must not need a PostgreSQL server.
    env: { PATH: process.env.PATH ?? '', MUNINN_HOME: home, PGHOST: '127.0.0.1', PGPORT: '1' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  cluster.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  cluster.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  await waitFor(
    'the local cluster to be up',
    () =>
      out.includes('Muninn local cluster is up.') ||
      (cluster.exitCode !== null && Promise.reject(new Error(out))),
    90_000,
    200,
  );
  return { cluster, output: () => out };
}

/** POST {worker}/query: the work node's data API. */
async function query<T>(
  worker: string,
  key: string,
  q: string,
): Promise<{ status: number; data?: T; errors?: { message: string }[] }> {
  const res = await fetch(`${worker}/query`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-hugr-secret-key': key },
    body: JSON.stringify({ query: q }),
  });
  const text = await res.text();
  try {
    return { status: res.status, ...(JSON.parse(text) as object) };
  } catch {
    return { status: res.status, errors: [{ message: text }] };
  }
}

type ShopSource = { name: string; loaded: boolean; path: string; nodes: { node: string; loaded: boolean }[] };

/** Waits until management reports `shop` loaded on both work nodes; returns it. */
function shopLoadedOnBothNodes(management: string, key: string): Promise<ShopSource> {
  return waitFor('data source shop loaded on both work nodes', async () => {
    const res = await graphql<{ dataSources: ShopSource[] }>(
      management,
      key,
      '{ dataSources { name loaded path nodes { node loaded } } }',
    );
    const shop = res.data?.dataSources.find((d) => d.name === 'shop');
    return shop?.loaded && shop.nodes.length === 2 && shop.nodes.every((n) => n.loaded) && shop;
  });
}

/** `npm start` (scripts/local-cluster.mjs) on a fresh home directory: no PostgreSQL server involved. */
describe('embedded core DB and the one-command local cluster', () => {
  let home: string;
  let cluster: ChildProcess;
  let output = (): string => '';
  let management: string;
  let key: string;
  let worker: string;

  beforeAll(() => {
    home = mkdtempSync(join(tmpdir(), 'muninn-local-'));
  });

  afterAll(async () => {
    // SIGINT lets the script stop its nodes; SIGKILL alone would leave them running as orphans.
    if (cluster && cluster.exitCode === null && cluster.signalCode === null) {
      const exited = new Promise((res) => cluster.once('exit', res));
      cluster.kill('SIGINT');
      await Promise.race([exited, new Promise((res) => setTimeout(res, 60_000))]);
      cluster.kill('SIGKILL');
    }
    rmSync(home, { recursive: true, force: true });
  });

  it('starts management and two work nodes, prints their URLs and the admin key', async () => {
    const started = await startLocalCluster(home);
    cluster = started.cluster;
    output = started.output;
    const out = output();
    management = /management API \+ Apollo Sandbox\s+(http:\/\/\S+)\/graphql/.exec(out)![1];
    key = /admin key \(x-hugr-secret-key\)\s+(\S+)/.exec(out)![1];
    expect(out).toMatch(/worker-1\s+http:\/\/127\.0\.0\.1:\d+/);
    expect(out).toMatch(/worker-2\s+http:\/\/127\.0\.0\.1:\d+/);
    worker = /worker-1\s+(http:\/\/127\.0\.0\.1:\d+)/.exec(out)![1];

    await waitFor('both work nodes HEALTHY', async () => {
      const res = await graphql<{ nodes: { name: string; status: string }[] }>(
        management,
        key,
        '{ nodes { name status } }',
      );
      return res.data?.nodes.length === 2 && res.data.nodes.every((n) => n.status === 'HEALTHY');
    });
    // Writes go through management into the embedded store and reach both nodes.
    const res = await graphql<{
      createDataSource: { name: string };
      loadDataSource: { success: boolean; nodes: { success: boolean }[] };
    }>(
      management,
      key,
      `
        mutation {
          createDataSource(input: { name: "demo", type: "postgres", path: "postgres://x/y" }) {
            name
          }
          loadDataSource(name: "demo") {
            success
            nodes {
              success
            }
          }
        }
      `,
    );
    expect(res.data!.loadDataSource.success).toBe(true);
    expect(res.data!.loadDataSource.nodes).toHaveLength(2);
  });

  it('creates the demo shop database and registers and loads it as data source shop', async () => {
    const out = output();
    expect(out).toContain('created from scripts/demo/shop.sql');
    expect(out).toContain('data source shop: created');
    expect(out).toMatch(/data source shop: loaded/);
    expect(out).toMatch(/demo shop database \(PGlite\)\s+postgres:\/\/postgres@127\.0\.0\.1:\d+\/postgres/);
    expect(out).toMatch(/curl -s http:\/\/127\.0\.0\.1:\d+\/query .*\{ shop \{ customers\(limit: 3\)/s);
    const shop = await shopLoadedOnBothNodes(management, key);
    expect(shop.path).toBe(/demo shop database \(PGlite\)\s+(\S+)/.exec(out)![1]);
  });

  it('answers a query against the demo shop on a work node', async () => {
    const res = await query<{ shop: { customers: { id: number }[] } }>(
      worker,
      key,
      '{ shop { customers(limit: 2) { id } } }',
    );
    expect(res.errors).toBeUndefined();
    expect(res.status).toBe(200);
    expect(res.data!.shop.customers).toHaveLength(2);
  });

  it('refuses a second process on the same embedded directory with a clear error', async () => {
    const intruder = new NodeProcess('worker', await freePort(), {
      CORE_DB_PATH: join(home, 'core-db'),
    }).start();
    const code = await Promise.race([
      intruder.waitExit(),
      new Promise((r) => setTimeout(() => r('still running'), 30_000)),
    ]);
    await intruder.kill();
    expect(code).toBe(1);
    expect(intruder.log).toMatch(/embedded core DB at .*core-db is in use by process \d+/);
    expect(intruder.log).toContain('Only one process may open an embedded directory');
  });

  it('stops everything cleanly on Ctrl-C', async () => {
    const exited = new Promise<number | null>((res) => cluster.once('exit', (c) => res(c)));
    cluster.kill('SIGINT');
    expect(await exited).toBe(0);
    const out = output();
    expect(out).toMatch(/worker-1 stopped \(exit 0\)/);
    expect(out).toMatch(/worker-2 stopped \(exit 0\)/);
    expect(out).toMatch(/management stopped \(exit 0\)/);
    expect(out).toContain('demo database stopped');
  });

  it('restarts on the same home: keeps the demo data and points shop at the new port', async () => {
    const restarted = await startLocalCluster(home);
    cluster = restarted.cluster;
    const out2 = restarted.output();
    expect(out2).toContain('existing data; serving');
    expect(out2).toContain('data source shop: updated (new port)');
    expect(out2).toMatch(/data source shop: reloaded/);
    key = /admin key \(x-hugr-secret-key\)\s+(\S+)/.exec(out2)![1];
    management = /management API \+ Apollo Sandbox\s+(http:\/\/\S+)\/graphql/.exec(out2)![1];
    const shop = await shopLoadedOnBothNodes(management, key);
    expect(shop.path).toBe(/demo shop database \(PGlite\)\s+(\S+)/.exec(out2)![1]);
    const res = await query<{ shop: { customers_by_pk: { name: string } } }>(
      /worker-2\s+(http:\/\/127\.0\.0\.1:\d+)/.exec(out2)![1],
      key,
      '{ shop { customers_by_pk(id: 1) { name } } }',
    );
    expect(res.data?.shop.customers_by_pk.name).toBe('Ada Lovelace');
    const exited = new Promise<number | null>((res) => cluster.once('exit', (c) => res(c)));
    cluster.kill('SIGINT');
    expect(await exited).toBe(0);
  });
});
