// The three servers under load and the five query shapes, written once per server.
//
// Each target: start() launches its process(es) and waits until it answers; request(shape) is the
// HTTP request autocannon sends; rows(shape, json) reduces the answer to a comparable string (the
// ids of the rows, or the counts and sums of an aggregation; to check that all servers return the
// same); queries(shape) is what the markdown prints. The processes are stopped by run.mjs
// (stopAllChildren), whatever happened.

import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import { relative, resolve } from 'node:path';
import { BENCH_DB, CATALOG_SDL, CORE_DB, dsn, recreateDatabase } from './data.mjs';
import { POOL_SIZE } from './peers/raw-pg.mjs';
import { Child, ROOT, fatal, freePort, postJson, progress, waitFor } from './lib.mjs';

const require = createRequire(import.meta.url);

export const SHAPES = {
  a: { title: 'list + forward relation', what: '50 orders by id, each with its customer' },
  b: { title: 'by pk + back relation', what: 'customer 42 with all its orders by id' },
  c: { title: 'filtered list', what: 'orders with status "paid" and total > 500, first 50 by id' },
  d: {
    title: 'aggregation',
    what: 'count, sum, average, min and max of total over the orders with status "paid"',
  },
  e: {
    title: 'bucket aggregation',
    what: 'count, sum and average of total per status (GROUP BY status)',
  },
};

/** Shapes whose answer is an aggregation (compared by counts and sums, not by ids). */
export const AGGREGATE_SHAPES = new Set(['d', 'e']);

const money = (x) => (x === null || x === undefined ? 'null' : Number(x).toFixed(2));
const mean = (x) => (x === null || x === undefined ? 'null' : Number(x).toFixed(4));

/**
 * An answer as one comparable string per shape: the ids of the rows for (a)–(c); for (d) the row
 * count and sum/avg/min/max of total, for (e) the same per status, sorted by status (numbers
 * rounded: PostGraphile answers NUMERIC as strings). Accessors name the server's fields; (d) and
 * (e) accessors return { n, sum, avg, min, max } and [{ status, n, sum, avg }].
 */
function answerOf(shape, data, { a, b, c, d, e, customer, orders }) {
  if (shape === 'a')
    return a(data)
      .map((o) => `${o.id}:${o[customer]?.id}`)
      .join(',');
  if (shape === 'b') {
    const cu = b(data);
    return cu ? `${cu.id}:[${cu[orders].map((o) => o.id).join(',')}]` : 'null';
  }
  if (shape === 'c')
    return c(data)
      .map((o) => o.id)
      .join(',');
  if (shape === 'd') {
    const x = d(data);
    return `n=${Number(x.n)} sum=${money(x.sum)} avg=${mean(x.avg)} min=${money(x.min)} max=${money(x.max)}`;
  }
  return e(data)
    .map((g) => ({ ...g, status: String(g.status) }))
    .sort((x, y) => (x.status < y.status ? -1 : x.status > y.status ? 1 : 0))
    .map((g) => `${g.status}: n=${Number(g.n)} sum=${money(g.sum)} avg=${mean(g.avg)}`)
    .join(', ');
}

/** What an answer string (of answerOf) contains, for the report ("50 rows", "5 buckets", …). */
export function answerSummary(shape, value) {
  if (shape === 'd') return `over ${value.match(/^n=(\d+)/)?.[1] ?? '?'} orders`;
  if (shape === 'e') {
    const n = value === '' ? 0 : value.split(', ').length;
    return `${n} bucket${n === 1 ? '' : 's'}`;
  }
  const n = value === 'null' || value === '' ? 0 : value.split(',').length;
  if (shape === 'b') return value === 'null' ? 'no customer' : `1 customer with ${n} orders`;
  return `${n} row${n === 1 ? '' : 's'}`;
}

/** Throws a readable error unless `res` is a GraphQL answer with data and without errors. */
export function graphqlData(target, res) {
  if (res.status !== 200 || !res.json) {
    throw new Error(`${target} answered HTTP ${res.status}: ${res.text.slice(0, 500)}`);
  }
  if (res.json.errors?.length) {
    const messages = res.json.errors.map(
      (e) => e.message + (e.extensions?.code ? ` (${e.extensions.code})` : ''),
    );
    throw new Error(`${target} answered with errors: ${messages.join('; ').slice(0, 1000)}`);
  }
  if (!res.json.data) throw new Error(`${target} answered without data: ${res.text.slice(0, 500)}`);
  return res.json.data;
}

const ENV_BASE = { NODE_ENV: 'production' };

/** Accessors of (d) and (e) for answers in Hugr's form (Muninn, and raw pg, which answers the same). */
function hugrAggregates(aggregation, buckets) {
  return {
    d: (data) => {
      const x = aggregation(data);
      return { n: x._rows_count, ...x.total };
    },
    e: (data) =>
      buckets(data).map((g) => ({
        status: g.key.status,
        n: g.aggregations._rows_count,
        sum: g.aggregations.total.sum,
        avg: g.aggregations.total.avg,
      })),
  };
}

// ---------------------------------------------------------------------------------------------
// Muninn: a management node and one work node from dist/, data source created through the API.

/** What MuninnTarget sets by default: no cache, so that every request reaches PostgreSQL, as with the peers. */
const MUNINN_UNCACHED = {
  // explicit, in case of a .env file
  CACHE_L1_ENABLED: 'false',
  CACHE_L2_ENABLED: 'false',
  CACHE_TTL: '0',
};

export class MuninnTarget {
  key = 'muninn';
  label = 'Muninn';
  entry = {
    management: resolve(ROOT, 'dist/apps/management/apps/management/src/main.js'),
    worker: resolve(ROOT, 'dist/apps/worker/apps/worker/src/main.js'),
  };
  // Generated per run, never printed.
  secretKey = randomBytes(24).toString('hex');
  clusterSecret = randomBytes(24).toString('hex');
  prefix = 'bench';

  /**
   * `env`: variables over the defaults (no cache) of every Muninn process; `workers`: the work
   * nodes, `[{ name, env }]` with `env` over that (default one node, `bench-worker`). The first
   * work node is the one `request(shape)` addresses.
   */
  constructor({ env = {}, workers = [{ name: 'bench-worker' }] } = {}) {
    this.env = env;
    this.workers = workers.map(({ name, env: own = {} }) => ({ name, env: own }));
  }

  name(field) {
    return `${this.prefix}_${field}`;
  }

  queries(shape) {
    return {
      a: `{ ${this.name('orders')}(limit: 50, order_by: [{field: "id"}]) { id total status customer { id name } } }`,
      b: `{ ${this.name('customers_by_pk')}(id: 42) { id name email orders(order_by: [{field: "id"}]) { id total } } }`,
      c:
        `{ ${this.name('orders')}(filter: {status: {eq: "paid"}, total: {gt: 500}}, limit: 50, ` +
        `order_by: [{field: "id"}]) { id total created_at } }`,
      d:
        `{ ${this.name('orders_aggregation')}(filter: {status: {eq: "paid"}}) ` +
        '{ _rows_count total { sum avg min max } } }',
      e:
        `{ ${this.name('orders_bucket_aggregation')}(order_by: [{field: "key.status"}]) ` +
        '{ key { status } aggregations { _rows_count total { sum avg } } } }',
    }[shape];
  }

  request(shape) {
    return this.queryRequest(this.queries(shape));
  }

  /** The HTTP request of a GraphQL `query` to a work node (default the first). */
  queryRequest(query, worker = this.workers[0]) {
    return {
      url: `${worker.url}/query`,
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-hugr-secret-key': this.secretKey },
      body: JSON.stringify({ query }),
    };
  }

  rows(shape, json) {
    return answerOf(shape, json.data, {
      a: (d) => d[this.name('orders')],
      b: (d) => d[this.name('customers_by_pk')],
      c: (d) => d[this.name('orders')],
      ...hugrAggregates(
        (d) => d[this.name('orders_aggregation')],
        (d) => d[this.name('orders_bucket_aggregation')],
      ),
      customer: 'customer',
      orders: 'orders',
    });
  }

  async admin(query, variables) {
    const res = await postJson(
      `${this.managementUrl}/graphql`,
      { query, variables },
      {
        'x-hugr-secret-key': this.secretKey,
      },
    );
    return graphqlData('management', res);
  }

  async start() {
    for (const [role, file] of Object.entries(this.entry)) {
      try {
        require.resolve(file);
      } catch {
        throw new Error(`Muninn ${role} is not built (${file} is missing): run \`npm run build\` first`);
      }
    }
    progress(`muninn: recreating core database ${CORE_DB}`);
    await recreateDatabase(CORE_DB);
    const mPort = await freePort();
    this.managementUrl = `http://127.0.0.1:${mPort}`;
    const common = {
      ...ENV_BASE,
      CLUSTER_SECRET: this.clusterSecret,
      SECRET_KEY: this.secretKey,
      CORE_DB_PATH: dsn(CORE_DB),
      LOG_LEVEL: 'warn',
      ...MUNINN_UNCACHED,
      ...this.env,
    };

    progress(`muninn: starting management on ${mPort}`);
    this.management = new Child('muninn management', process.execPath, [this.entry.management], {
      env: { ...common, BIND: `127.0.0.1:${mPort}` },
    }).start();
    await this.waitReady(this.management, this.managementUrl);

    const nodeArgs = process.env.BENCH_WORKER_NODE_ARGS?.split(' ').filter(Boolean) ?? [];
    for (const worker of this.workers) {
      const wPort = await freePort();
      worker.url = `http://127.0.0.1:${wPort}`;
      progress(`muninn: starting work node ${worker.name} on ${wPort}`);
      worker.child = new Child(
        this.workers.length > 1 ? `muninn worker ${worker.name}` : 'muninn worker',
        process.execPath,
        [...nodeArgs, this.entry.worker],
        {
          env: {
            ...common,
            BIND: `127.0.0.1:${wPort}`,
            CLUSTER_MANAGEMENT_URL: this.managementUrl,
            CLUSTER_NODE_NAME: worker.name,
            CLUSTER_NODE_URL: worker.url,
            DRAIN_DELAY: '0',
            DATA_SOURCE_POOL_SIZE: String(POOL_SIZE), // the default, stated so that all servers visibly match
            ...worker.env,
          },
        },
      ).start();
      await this.waitReady(worker.child, worker.url);
    }

    progress(`muninn: creating and loading data source "bench"`);
    const created = await this.admin(
      `mutation($input: DataSourceInput!) { createDataSource(input: $input) { name prefix asModule } }`,
      {
        input: {
          name: 'bench',
          type: 'postgres',
          prefix: this.prefix,
          asModule: false,
          readOnly: true,
          path: dsn(BENCH_DB),
          catalogs: [{ name: 'bench', type: 'TEXT', sdl: CATALOG_SDL }],
        },
      },
    );
    this.prefix = created.createDataSource.prefix;
    const { loadDataSource: load } = await this.admin(
      `mutation { loadDataSource(name: "bench") { success message nodes { node success message } } }`,
    );
    const failed = load.nodes.filter((n) => !n.success);
    if (!load.success || failed.length || load.nodes.length < this.workers.length) {
      const detail = failed.map((n) => `${n.node}: ${n.message}`).join('; ');
      throw new Error(`loadDataSource failed: ${load.message}${detail ? ` (${detail})` : ''}`);
    }

    for (const worker of this.workers) {
      progress(`muninn: waiting for work node ${worker.name} to answer POST /query`);
      await waitFor(
        `the Muninn work node ${worker.name} to answer shape (a) without errors`,
        async () => {
          worker.child.assertRunning();
          const { url, headers, body } = this.queryRequest(this.queries('a'), worker);
          const res = await postJson(url, body, headers);
          if (res.status === 404) {
            throw fatal(
              `the work node has no data API yet: POST /query answered 404 (${res.text.slice(0, 200)})`,
            );
          }
          graphqlData('Muninn work node', res);
          return true;
        },
        20_000,
        250,
      );
    }
  }

  assertRunning() {
    this.management.assertRunning();
    for (const worker of this.workers) worker.child.assertRunning();
  }

  async waitReady(child, url) {
    await waitFor(`${child.name} to be ready`, async () => {
      child.assertRunning();
      return (await fetch(`${url}/health/ready`)).status === 200;
    });
  }

  describe() {
    return (
      `management + ${this.workers.length === 1 ? '1 work node' : `${this.workers.length} work nodes`} ` +
      'from `dist/` (`node dist/apps/{management,worker}/…/main.js`), ' +
      `core DB \`${CORE_DB}\` in the same PostgreSQL, \`LOG_LEVEL=warn\`, \`NODE_ENV=production\`, ` +
      `\`DATA_SOURCE_POOL_SIZE=${POOL_SIZE}\`, ${this.describeCache()}; ` +
      `data source \`bench\` (postgres, prefix \`${this.prefix}\`, read-only, inline catalog) created ` +
      'and loaded through the management GraphQL API; queries `POST /query` with `x-hugr-secret-key`'
    );
  }

  /** "no cache", or the CACHE_* settings of each work node. */
  describeCache() {
    const described = this.workers.map((w) => {
      const all = { ...MUNINN_UNCACHED, ...this.env, ...w.env };
      const cache = Object.entries(all).filter(([k]) => k.startsWith('CACHE_'));
      const text = cache.map(([k, v]) => `\`${k}=${v}\``).join(', ');
      return { text: `${w.name}: ${text}`, off: cache.every(([k, v]) => MUNINN_UNCACHED[k] === v) };
    });
    return described.every((d) => d.off) ? 'no cache' : described.map((d) => d.text).join('; ');
  }
}

// ---------------------------------------------------------------------------------------------
// PostGraphile 4 CLI, with @graphile/pg-aggregates for (d) and (e)

/**
 * @graphile/pg-aggregates (for PostGraphile 4) lives in a project of its own, bench/peers/pg-aggregates/
 * (package.json + package-lock.json, `legacy-peer-deps`): its peer dependency graphql <16 conflicts
 * with this repository's graphql@16, so in the root it installs only with `--force`, after which a
 * plain `npm install`/`npm ci` fails with ERESOLVE. Its peers resolve at run time to PostGraphile's
 * own copies (bench/peers/postgraphile-resolve.cjs).
 */
export const PG_AGGREGATES_DIR = resolve(ROOT, 'bench/peers/pg-aggregates');
const PG_AGGREGATES_PLUGIN = resolve(PG_AGGREGATES_DIR, 'node_modules/@graphile/pg-aggregates');

/** Version of the installed @graphile/pg-aggregates, or undefined. */
export function pgAggregatesVersion() {
  try {
    return JSON.parse(fs.readFileSync(resolve(PG_AGGREGATES_PLUGIN, 'package.json'), 'utf8')).version;
  } catch {
    return undefined;
  }
}

/** Installs bench/peers/pg-aggregates from its lock file (`npm ci`) unless it is installed already. */
function ensurePgAggregates() {
  if (pgAggregatesVersion()) return;
  const where = relative(ROOT, PG_AGGREGATES_DIR);
  progress(`postgraphile: installing @graphile/pg-aggregates into ${where} (npm ci, once)`);
  try {
    execFileSync(
      process.platform === 'win32' ? 'npm.cmd' : 'npm',
      ['ci', '--legacy-peer-deps', '--ignore-scripts', '--no-audit', '--no-fund'],
      { cwd: PG_AGGREGATES_DIR, stdio: ['ignore', 'inherit', 'inherit'] },
    );
  } catch (err) {
    throw new Error(
      `could not install @graphile/pg-aggregates (${err.message}); run \`npm ci\` in ${where}, ` +
        'or leave PostGraphile out with BENCH_TARGETS=muninn,raw-pg',
      { cause: err },
    );
  }
  if (!pgAggregatesVersion()) throw new Error(`npm ci in ${where} did not install @graphile/pg-aggregates`);
}

export class PostGraphileTarget {
  key = 'postgraphile';
  label = 'PostGraphile';
  version = require('postgraphile/package.json').version;
  cli = resolve(ROOT, 'node_modules/postgraphile/cli.js');
  hook = resolve(ROOT, 'bench/peers/postgraphile-resolve.cjs');

  queries(shape) {
    return {
      a: '{ allOrdersList(first: 50, orderBy: ID_ASC) { id total status customerByCustomerId { id name } } }',
      b: '{ customerById(id: 42) { id name email ordersByCustomerIdList(orderBy: ID_ASC) { id total } } }',
      c:
        '{ ordersTotalOverList(minTotal: "500", condition: {status: "paid"}, orderBy: ID_ASC, first: 50) ' +
        '{ id total createdAt } }',
      d:
        '{ allOrders(condition: {status: "paid"}) { totalCount ' +
        'aggregates { sum { total } average { total } min { total } max { total } } } }',
      e:
        '{ allOrders { groupedAggregates(groupBy: [STATUS]) { keys distinctCount { id } ' +
        'sum { total } average { total } } } }',
    }[shape];
  }

  request(shape) {
    return {
      url: `${this.url}/graphql`,
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query: this.queries(shape) }),
    };
  }

  rows(shape, json) {
    return answerOf(shape, json.data, {
      a: (d) => d.allOrdersList,
      b: (d) => d.customerById,
      c: (d) => d.ordersTotalOverList,
      d: ({ allOrders: { totalCount, aggregates: x } }) => ({
        n: totalCount,
        sum: x.sum.total,
        avg: x.average.total,
        min: x.min.total,
        max: x.max.total,
      }),
      e: (d) =>
        d.allOrders.groupedAggregates.map((g) => ({
          status: g.keys[0],
          n: g.distinctCount.id,
          sum: g.sum.total,
          avg: g.average.total,
        })),
      customer: 'customerByCustomerId',
      orders: 'ordersByCustomerIdList',
    });
  }

  /** `plugin`: path of @graphile/pg-aggregates. Aggregates exist only on connections, hence `both`. */
  cliArgs(port, plugin = PG_AGGREGATES_PLUGIN) {
    // prettier-ignore
    return [
      '-c', dsn(BENCH_DB),
      '--host', '127.0.0.1',
      '--port', String(port),
      '--max-pool-size', String(POOL_SIZE),
      '--disable-graphiql',
      '--disable-query-log',
      '--simple-collections', 'both',
      '--append-plugins', plugin,
    ];
  }

  async start() {
    ensurePgAggregates();
    this.pluginVersion = pgAggregatesVersion();
    const port = await freePort();
    this.url = `http://127.0.0.1:${port}`;
    progress(`postgraphile: starting PostGraphile ${this.version} CLI on ${port}`);
    this.child = new Child(
      'postgraphile',
      process.execPath,
      ['--require', this.hook, this.cli, ...this.cliArgs(port)],
      {
        env: ENV_BASE,
      },
    ).start();
    await waitFor('PostGraphile to answer', async () => {
      this.child.assertRunning();
      const res = await postJson(`${this.url}/graphql`, { query: '{ __typename }' });
      return res.json?.data?.__typename === 'Query';
    });
  }

  assertRunning() {
    this.child.assertRunning();
  }

  describe() {
    const args = this.cliArgs('<port>', relative(ROOT, PG_AGGREGATES_PLUGIN));
    return (
      `\`postgraphile@${this.version}\` CLI, i.e. \`npx postgraphile ${args.join(' ')}\` with ` +
      '`NODE_ENV=production` (no watch, no JWT; one plugin, ' +
      `\`@graphile/pg-aggregates@${this.pluginVersion}\`, for shapes (d) and (e)), run as ` +
      '`node --require bench/peers/postgraphile-resolve.cjs node_modules/postgraphile/cli.js …` (see notes)'
    );
  }
}

// ---------------------------------------------------------------------------------------------
// raw pg over HTTP

export class RawPgTarget {
  key = 'raw-pg';
  label = 'raw pg';
  script = resolve(ROOT, 'bench/peers/raw-pg.mjs');

  bodies = {
    a: { limit: 50 },
    b: { id: 42 },
    c: { status: 'paid', minTotal: 500, limit: 50 },
    d: { status: 'paid' },
    e: {},
  };

  queries(shape) {
    return `POST /${shape} ${JSON.stringify(this.bodies[shape])}`;
  }

  request(shape) {
    return {
      url: `${this.url}/${shape}`,
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(this.bodies[shape]),
    };
  }

  rows(shape, json) {
    return answerOf(shape, json.data, {
      a: (d) => d.orders,
      b: (d) => d.customers_by_pk,
      c: (d) => d.orders,
      ...hugrAggregates(
        (d) => d.orders_aggregation,
        (d) => d.orders_bucket_aggregation,
      ),
      customer: 'customer',
      orders: 'orders',
    });
  }

  async start() {
    const port = await freePort();
    this.url = `http://127.0.0.1:${port}`;
    progress(`raw-pg: starting node:http + pg.Pool(${POOL_SIZE}) on ${port}`);
    this.child = new Child('raw-pg', process.execPath, [this.script], {
      env: { ...ENV_BASE, PORT: String(port), DATABASE_URL: dsn(BENCH_DB) },
    }).start();
    await waitFor('raw-pg to answer', async () => {
      this.child.assertRunning();
      return (await fetch(`${this.url}/health`)).status === 200;
    });
  }

  assertRunning() {
    this.child.assertRunning();
  }

  describe() {
    return (
      `\`bench/peers/raw-pg.mjs\`: node:http + \`pg.Pool({max: ${POOL_SIZE}})\`, one prepared statement ` +
      'per shape; PostgreSQL builds the response JSON (`json_build_object`/`json_agg`) and the text is ' +
      'sent as the body without parsing'
    );
  }
}

/** Sends one request of `shape` to `target`; resolves the ids string or throws a readable error. */
export async function probe(target, shape) {
  const { url, headers, body } = target.request(shape);
  const res = await postJson(url, body, headers);
  graphqlData(target.label, res);
  return target.rows(shape, res.json);
}
