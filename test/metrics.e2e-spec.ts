import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type NodeProcess, graphql, startNode, waitFor } from './support/node-process.js';
import { createTestDatabase, runSql } from './support/postgres.js';

// GET /metrics on management and a worker (real processes, real PostgreSQL), and the request
// log: counters move by exactly the requests made, and no credential reaches a scrape or a log.
const CLUSTER_SECRET = 'e2e-metrics-cluster-5c1f';
const ADMIN_KEY = 'e2e-metrics-admin-77d2';
const STATIC_KEY = 'e2e-metrics-static-key-3a90';
const WRONG_API_KEY = 'e2e-metrics-wrong-api-key-41aa';
const BEARER = 'e2e-metrics-bearer-0c9d';
const COOKIE = 'e2e-metrics-cookie-6f2a';
const IN_QUERY_TEXT = 'e2e-metrics-in-url-8d17';
const DSN_PASSWORD = 'e2e-metrics-dsn-pw-9b3e';

let core: { url: string; drop: () => Promise<void> };
let data: { url: string; drop: () => Promise<void> };
let mgmt: NodeProcess;
let worker: NodeProcess;
let authDir: string;
let dsnPassword = DSN_PASSWORD;
const started: NodeProcess[] = [];

const admin = <T>(query: string, variables?: Record<string, unknown>) =>
  graphql<T>(mgmt.url, ADMIN_KEY, query, variables);

async function query(body: unknown, headers: Record<string, string> = { 'x-hugr-secret-key': ADMIN_KEY }) {
  const res = await fetch(`${worker.url}/query`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
  });
  return { status: res.status, json: (await res.json()) as { data?: unknown; errors?: unknown[] } };
}

/** One scrape, parsed: `name{a="1",b="2"}` (labels sorted) → value. */
type Scrape = Map<string, number>;

async function scrape(node: NodeProcess): Promise<{ text: string; series: Scrape }> {
  const res = await fetch(`${node.url}/metrics`);
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
  const text = await res.text();
  const series: Scrape = new Map();
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!m) throw new Error(`unparsable exposition line: ${line}`);
    const labels = [...(m[2] ?? '').matchAll(/([a-zA-Z_]\w*)="((?:[^"\\]|\\.)*)"/g)]
      .map(([, k, v]) => `${k}="${v}"`)
      .sort();
    series.set(`${m[1]}{${labels.join(',')}}`, Number(m[3]));
  }
  return { text, series };
}

/** Sum of the series of `name` whose labels include `labels`; undefined when there is none. */
function value(s: Scrape, name: string, labels: Record<string, string> = {}): number | undefined {
  let sum: number | undefined;
  const wanted = Object.entries(labels).map(([k, v]) => `${k}="${v}"`);
  for (const [key, v] of s) {
    const brace = key.indexOf('{');
    if (key.slice(0, brace) !== name) continue;
    const have = key.slice(brace + 1, -1).split(',');
    if (wanted.every((w) => have.includes(w))) sum = (sum ?? 0) + v;
  }
  return sum;
}

const delta = (before: Scrape, after: Scrape, name: string, labels?: Record<string, string>) =>
  (value(after, name, labels) ?? 0) - (value(before, name, labels) ?? 0);

/** Scrapes until `check` holds (counters move when a response has finished, just after the client sees it). */
async function scrapeUntil(node: NodeProcess, check: (s: Scrape) => boolean): Promise<Scrape> {
  let last: Scrape = new Map();
  await waitFor(
    'metrics to settle',
    async () => {
      last = (await scrape(node)).series;
      return check(last);
    },
    3000,
    50,
  ).catch(() => undefined);
  return last;
}

beforeAll(async () => {
  [core, data] = await Promise.all([
    createTestDatabase('muninn_metrics_core'),
    createTestDatabase('muninn_metrics_data'),
  ]);
  await runSql(
    data.url,
    `CREATE TABLE items (id int PRIMARY KEY, name text);
     INSERT INTO items VALUES (1, 'one'), (2, 'two'), (3, 'three');`,
  );
  authDir = mkdtempSync(join(tmpdir(), 'muninn-metrics-'));
  const authFile = join(authDir, 'auth.yaml');
  writeFileSync(
    authFile,
    `api_keys:\n  gateway:\n    key: "${STATIC_KEY}"\n    header: x-gateway-key\n    default_role: readonly\n`,
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
      CLUSTER_MANAGEMENT_URL: mgmt.url,
      CLUSTER_NODE_NAME: 'm1',
      CORE_DB_PATH: core.url,
      SECRET_KEY: ADMIN_KEY,
      AUTH_CONFIG_FILE: authFile,
      CACHE_L1_ENABLED: 'true',
      CACHE_TTL: '1m',
      DRAIN_DELAY: '0s',
      LOG_LEVEL: 'info',
    },
    started,
  );
  await waitFor('worker HEALTHY', async () => {
    const res = await admin<{ nodes: { status: string }[] }>('{ nodes { status } }');
    return res.data?.nodes.some((n) => n.status === 'HEALTHY');
  });
  // PostgreSQL on the test machines trusts local connections, so the password is sent nowhere;
  // it is here to prove a DSN's password never shows in a scrape or a log.
  const dsn = new URL(data.url);
  if (dsn.password) dsnPassword = decodeURIComponent(dsn.password);
  else dsn.password = DSN_PASSWORD;
  const res = await admin<{ loadDataSource: { success: boolean } }>(
    `mutation ($input: DataSourceInput!) {
       createDataSource(input: $input) { name }
       loadDataSource(name: "shop") { success message }
     }`,
    {
      input: {
        name: 'shop',
        type: 'postgres',
        prefix: '',
        path: dsn.toString(),
        catalogs: [
          {
            name: 'shop',
            type: 'TEXT',
            sdl: 'type items @table(name: "items") { id: Int! @pk  name: String }',
          },
        ],
      },
    },
  );
  expect(res.errors).toBeUndefined();
  expect(res.data!.loadDataSource.success).toBe(true);
});

afterAll(async () => {
  await Promise.all(started.map((p) => p.kill()));
  await Promise.all([core?.drop(), data?.drop()]);
  if (authDir) rmSync(authDir, { recursive: true, force: true });
});

describe('GET /metrics (real processes)', () => {
  it('counts GraphQL operations, their execution time and HTTP requests on a worker', async () => {
    const before = (await scrape(worker)).series;
    for (let i = 0; i < 5; i++)
      expect(
        (await query({ query: 'query Items { items(order_by: [{field: "id"}]) { id name } }' })).json,
      ).toEqual({
        data: {
          items: [
            { id: 1, name: 'one' },
            { id: 2, name: 'two' },
            { id: 3, name: 'three' },
          ],
        },
      });
    expect((await query({ query: '{ items { nope } }' })).json.errors).toHaveLength(1);
    const inserted = await query({
      query: 'mutation AddItem { insert_items(data: {id: 10, name: "ten"}) { id } }',
    });
    expect(inserted.json).toEqual({ data: { insert_items: { id: 10 } } });
    const get = await fetch(
      `${worker.url}/query?query=${encodeURIComponent('{ items_by_pk(id: 1) { id } }')}`,
      {
        headers: { 'x-hugr-secret-key': ADMIN_KEY },
      },
    );
    expect(get.status).toBe(200);

    const after = await scrapeUntil(
      worker,
      (s) => delta(before, s, 'muninn_http_requests_total', { route: '/query' }) === 8,
    );
    const ops = (type: string, outcome: string) =>
      delta(before, after, 'muninn_graphql_operations_total', { type, outcome });
    expect(ops('query', 'ok')).toBe(6);
    expect(ops('query', 'errors')).toBe(1);
    expect(ops('mutation', 'ok')).toBe(1);
    expect(ops('mutation', 'errors')).toBe(0);
    expect(delta(before, after, 'muninn_query_duration_seconds_count')).toBe(8);
    expect(delta(before, after, 'muninn_query_duration_seconds_sum')).toBeGreaterThan(0);
    // Every observation falls in the +Inf bucket.
    expect(delta(before, after, 'muninn_query_duration_seconds_bucket', { le: '+Inf' })).toBe(8);

    const http = (labels: Record<string, string>) =>
      delta(before, after, 'muninn_http_requests_total', labels);
    expect(http({ route: '/query', method: 'POST', status: '2xx' })).toBe(7);
    expect(http({ route: '/query', method: 'GET', status: '2xx' })).toBe(1);
    expect(http({ route: '/metrics', method: 'GET', status: '2xx' })).toBeGreaterThanOrEqual(1);
    expect(
      delta(before, after, 'muninn_http_request_duration_seconds_count', { route: '/query', method: 'POST' }),
    ).toBe(7);
    // The management's health checks reach the worker's signed endpoint every CHECK.
    expect(
      value(after, 'muninn_http_requests_total', { route: '/cluster/v1', status: '2xx' }),
    ).toBeGreaterThan(0);
  });

  it('counts refused requests by status and reason class, never by the credential', async () => {
    const before = (await scrape(worker)).series;
    const refused = [
      [{ 'x-hugr-api-key': WRONG_API_KEY }, 401],
      [{ authorization: `Bearer ${BEARER}` }, 401],
      [{ cookie: `session=${COOKIE}` }, 401],
      [{ 'x-hugr-secret-key': `${ADMIN_KEY}-wrong` }, 401],
      [{ 'x-hugr-secret-key': ADMIN_KEY, 'x-hugr-role': 'no_such_role' }, 403],
    ] as const;
    for (const [headers, status] of refused)
      expect((await query({ query: '{ items { id } }' }, headers)).status).toBe(status);
    // A static key in a header of its own choosing (AUTH_CONFIG_FILE) is a credential too.
    expect((await query({ query: '{ items { id } }' }, { 'x-gateway-key': STATIC_KEY })).status).toBe(200);

    const after = await scrapeUntil(
      worker,
      (s) => delta(before, s, 'muninn_http_requests_total', { route: '/query' }) === 6,
    );
    const failures = (status: string, reason: string) =>
      delta(before, after, 'muninn_auth_failures_total', { status, reason });
    expect(failures('401', 'api_key')).toBe(1);
    expect(failures('401', 'token')).toBe(1);
    expect(failures('401', 'missing_credentials')).toBe(1);
    expect(failures('401', 'secret_key')).toBe(1);
    expect(failures('403', 'role')).toBe(1);
    expect(delta(before, after, 'muninn_auth_failures_total')).toBe(5);
    expect(delta(before, after, 'muninn_http_requests_total', { route: '/query', status: '4xx' })).toBe(5);
  });

  it('reports result-cache hits and misses per layer, and no L2 gauge without L2', async () => {
    const before = (await scrape(worker)).series;
    const cached = { query: '{ items(filter: {id: {eq: 2}}) @cache(ttl: 60) { id name } }' };
    for (let i = 0; i < 3; i++)
      expect((await query(cached)).json).toEqual({ data: { items: [{ id: 2, name: 'two' }] } });
    const after = (await scrape(worker)).series;
    expect(delta(before, after, 'muninn_cache_misses_total', { layer: 'l1' })).toBe(1);
    expect(delta(before, after, 'muninn_cache_hits_total', { layer: 'l1' })).toBe(2);
    expect(value(after, 'muninn_cache_hits_total', { layer: 'l2' })).toBeUndefined();
    expect(value(after, 'muninn_cache_l2_up')).toBeUndefined();
    expect(value(after, 'muninn_cache_l1_entries')).toBeGreaterThanOrEqual(1);
    expect(value(after, 'muninn_cache_l1_bytes')).toBeGreaterThan(0);
  });

  it('shows the applied schema version, data-source and core-DB pools and process metrics on a worker', async () => {
    const { data: cluster } = await admin<{ cluster: { schemaVersion: number } }>(
      '{ cluster { schemaVersion } }',
    );
    const { series } = await scrape(worker);
    expect(value(series, 'muninn_schema_version')).toBe(cluster!.cluster.schemaVersion);
    expect(value(series, 'muninn_datasource_loaded', { source: 'shop' })).toBe(1);
    expect(value(series, 'muninn_datasource_pool_connections', { source: 'shop' })).toBeGreaterThanOrEqual(1);
    expect(value(series, 'muninn_datasource_pool_waiting_requests', { source: 'shop' })).toBe(0);
    expect(value(series, 'muninn_datasource_pool_max_connections')).toBe(10);
    expect(value(series, 'muninn_core_db_pool_connections')).toBeGreaterThanOrEqual(1);
    expect(value(series, 'muninn_core_db_pool_waiting_requests')).toBe(0);
    expect(value(series, 'muninn_build_info', { role: 'worker', node: 'm1' })).toBe(1);
    expect(value(series, 'muninn_process_resident_memory_bytes')).toBeGreaterThan(10_000_000);
    expect(value(series, 'muninn_process_cpu_seconds_total')).toBeGreaterThan(0);
    expect(value(series, 'muninn_nodejs_eventloop_lag_seconds')).toBeGreaterThanOrEqual(0);
    expect(value(series, 'muninn_nodejs_heap_size_used_bytes')).toBeGreaterThan(0);
  });

  it('shows nodes by status, schema pushes, health checks and cache fan-outs on management', async () => {
    const before = (await scrape(mgmt)).series;
    const res = await admin<{ invalidateCache: { success: boolean } }>(
      'mutation { invalidateCache { success } }',
    );
    expect(res.data?.invalidateCache.success).toBe(true);
    const { data: cluster } = await admin<{ cluster: { schemaVersion: number } }>(
      '{ cluster { schemaVersion } }',
    );
    const version = cluster!.cluster.schemaVersion;
    const after = (await scrape(mgmt)).series;

    expect(value(after, 'muninn_cluster_nodes', { status: 'HEALTHY' })).toBe(1);
    expect(value(after, 'muninn_cluster_nodes', { status: 'UNHEALTHY' })).toBe(0);
    expect(value(after, 'muninn_cluster_nodes', { status: 'STARTING' })).toBe(0);
    expect(value(after, 'muninn_cluster_nodes', { status: 'DRAINING' })).toBe(0);
    expect(value(after, 'muninn_cluster_node_status', { node: 'm1', status: 'HEALTHY' })).toBe(1);
    expect(value(after, 'muninn_cluster_schema_version')).toBe(version);
    expect(value(after, 'muninn_cluster_node_schema_version', { node: 'm1' })).toBe(version);
    // createDataSource and loadDataSource each bumped the version and pushed it to m1.
    expect(value(after, 'muninn_schema_pushes_total')).toBeGreaterThanOrEqual(2);
    expect(value(after, 'muninn_schema_push_duration_seconds_count')).toBe(
      value(after, 'muninn_schema_pushes_total'),
    );
    expect(value(after, 'muninn_schema_push_failures_total') ?? 0).toBe(0);
    expect(value(after, 'muninn_health_check_duration_seconds_count')).toBeGreaterThan(0);
    expect(value(after, 'muninn_health_check_failures_total') ?? 0).toBe(0);
    expect(delta(before, after, 'muninn_cache_fanouts_total')).toBe(1);
    expect(value(after, 'muninn_cache_fanout_failures_total') ?? 0).toBe(0);
    expect(value(after, 'muninn_cache_fanout_pending_nodes')).toBe(0);
    expect(
      delta(before, after, 'muninn_http_requests_total', {
        route: '/graphql',
        method: 'POST',
        status: '2xx',
      }),
    ).toBe(2);
    expect(value(after, 'muninn_core_db_pool_connections')).toBeGreaterThanOrEqual(1);
    expect(value(after, 'muninn_build_info', { role: 'management', node: 'management' })).toBe(1);
    expect(value(after, 'muninn_nodejs_eventloop_lag_seconds')).toBeGreaterThanOrEqual(0);
    // Worker-only metrics stay on workers.
    expect(value(after, 'muninn_graphql_operations_total')).toBeUndefined();
  });

  it('needs no key, holds no secret or URL, and is kept out of the request log', async () => {
    const secrets = [CLUSTER_SECRET, ADMIN_KEY, STATIC_KEY, WRONG_API_KEY, BEARER, COOKIE, dsnPassword];
    for (const node of [mgmt, worker]) {
      const { text } = await scrape(node);
      for (const secret of secrets) expect(text).not.toContain(secret);
      expect(text).not.toMatch(/="[^"]*:\/\//); // no label value is a URL
      expect(node.log).not.toMatch(/"url":"\/metrics"/);
    }
  });
});

describe('request log', () => {
  it('has the operation name, type and execution time on /query lines, and never a credential', async () => {
    const res = await query({ query: 'query NamedForLog { items_by_pk(id: 3) { name } }' });
    expect(res.json).toEqual({ data: { items_by_pk: { name: 'three' } } });
    // A value in a GET query string is not logged either (it may be a DSN in a core mutation).
    const filter = `{ items(filter: {name: {eq: "${IN_QUERY_TEXT}"}}) { id } }`;
    await fetch(`${worker.url}/query?query=${encodeURIComponent(filter)}`, {
      headers: { 'x-hugr-secret-key': ADMIN_KEY },
    });
    const line = await waitFor('the request line of NamedForLog', () =>
      worker.log.split('\n').find((l) => l.includes('"operationName":"NamedForLog"')),
    );
    const entry = JSON.parse(line) as {
      req: { id: unknown };
      executionMs: number;
      responseTime: number;
    };
    expect(entry).toMatchObject({
      msg: 'request completed',
      node: 'm1',
      operationName: 'NamedForLog',
      operationType: 'query',
      outcome: 'ok',
      req: { method: 'POST', url: '/query', headers: { 'x-hugr-secret-key': '[redacted]' } },
      res: { statusCode: 200 },
    });
    expect(typeof entry.req.id).toBe('string');
    expect(entry.executionMs).toBeGreaterThan(0);
    expect(entry.responseTime).toBeGreaterThanOrEqual(0);
    await waitFor('the GET line', () => worker.log.includes('"url":"/query?[redacted]"'));

    // The refused requests of the tests above were logged with their headers redacted.
    expect(worker.log).toContain('"x-gateway-key":"[redacted]"');
    expect(worker.log).toContain('"authorization":"[redacted]"');
    expect(worker.log).toContain('"cookie":"[redacted]"');
    expect(worker.log).toContain('"x-hugr-api-key":"[redacted]"');
    const secrets = [
      CLUSTER_SECRET,
      ADMIN_KEY,
      STATIC_KEY,
      WRONG_API_KEY,
      BEARER,
      COOKIE,
      dsnPassword,
      IN_QUERY_TEXT,
    ];
    for (const node of [mgmt, worker])
      for (const secret of secrets)
        expect({ node: node.role, leaked: node.log.includes(secret) ? secret : null }).toEqual({
          node: node.role,
          leaked: null,
        });
  });
});
