// The three servers under load and the three query shapes, written once per server.
//
// Each target: start() launches its process(es) and waits until it answers; request(shape) is the
// HTTP request autocannon sends; rows(shape, json) extracts the ids of the answer (to check that
// all servers return the same rows); queries(shape) is what the markdown prints. The processes are
// stopped by run.mjs (stopAllChildren), whatever happened.

import { randomBytes } from 'node:crypto';
import { createRequire } from 'node:module';
import { resolve } from 'node:path';
import { BENCH_DB, CATALOG_SDL, CORE_DB, dsn, recreateDatabase } from './data.mjs';
import { POOL_SIZE } from './peers/raw-pg.mjs';
import { Child, ROOT, fatal, freePort, postJson, progress, waitFor } from './lib.mjs';

const require = createRequire(import.meta.url);

export const SHAPES = {
  a: { title: 'list + forward relation', what: '50 orders by id, each with its customer' },
  b: { title: 'by pk + back relation', what: 'customer 42 with all its orders by id' },
  c: { title: 'filtered list', what: 'orders with status "paid" and total > 500, first 50 by id' },
};

/** Ids of an answer, as one comparable string per shape (accessors name the server's fields). */
function idsOf(shape, data, { a, b, c, customer, orders }) {
  if (shape === 'a')
    return a(data)
      .map((o) => `${o.id}:${o[customer]?.id}`)
      .join(',');
  if (shape === 'b') {
    const cu = b(data);
    return cu ? `${cu.id}:[${cu[orders].map((o) => o.id).join(',')}]` : 'null';
  }
  return c(data)
    .map((o) => o.id)
    .join(',');
}

/** Throws a readable error unless `res` is a GraphQL answer with data and without errors. */
function graphqlData(target, res) {
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

// ---------------------------------------------------------------------------------------------
// Muninn: a management node and one work node from dist/, data source created through the API.

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
    }[shape];
  }

  request(shape) {
    return {
      url: `${this.workerUrl}/query`,
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-hugr-secret-key': this.secretKey },
      body: JSON.stringify({ query: this.queries(shape) }),
    };
  }

  rows(shape, json) {
    return idsOf(shape, json.data, {
      a: (d) => d[this.name('orders')],
      b: (d) => d[this.name('customers_by_pk')],
      c: (d) => d[this.name('orders')],
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
    const [mPort, wPort] = [await freePort(), await freePort()];
    this.managementUrl = `http://127.0.0.1:${mPort}`;
    this.workerUrl = `http://127.0.0.1:${wPort}`;
    const common = {
      ...ENV_BASE,
      CLUSTER_SECRET: this.clusterSecret,
      SECRET_KEY: this.secretKey,
      CORE_DB_PATH: dsn(CORE_DB),
      LOG_LEVEL: 'warn',
      // uncached: every request reaches PostgreSQL, as with the peers (explicit, in case of a .env file)
      CACHE_L1_ENABLED: 'false',
      CACHE_L2_ENABLED: 'false',
      CACHE_TTL: '0',
    };

    progress(`muninn: starting management on ${mPort}`);
    this.management = new Child('muninn management', process.execPath, [this.entry.management], {
      env: { ...common, BIND: `127.0.0.1:${mPort}` },
    }).start();
    await this.waitReady(this.management, this.managementUrl);

    progress(`muninn: starting work node on ${wPort}`);
    this.worker = new Child(
      'muninn worker',
      process.execPath,
      [
        ...(process.env.BENCH_WORKER_NODE_ARGS ? process.env.BENCH_WORKER_NODE_ARGS.split(' ') : []),
        this.entry.worker,
      ],
      {
        env: {
          ...common,
          BIND: `127.0.0.1:${wPort}`,
          CLUSTER_MANAGEMENT_URL: this.managementUrl,
          CLUSTER_NODE_NAME: 'bench-worker',
          CLUSTER_NODE_URL: this.workerUrl,
          DRAIN_DELAY: '0',
          DATA_SOURCE_POOL_SIZE: String(POOL_SIZE), // the default, stated so that all servers visibly match
        },
      },
    ).start();
    await this.waitReady(this.worker, this.workerUrl);

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
    if (!load.success || failed.length || !load.nodes.length) {
      const detail = failed.map((n) => `${n.node}: ${n.message}`).join('; ');
      throw new Error(`loadDataSource failed: ${load.message}${detail ? ` (${detail})` : ''}`);
    }

    progress('muninn: waiting for the work node to answer POST /query');
    await waitFor(
      'the Muninn work node to answer shape (a) without errors',
      async () => {
        this.worker.assertRunning();
        const { url, headers, body } = this.request('a');
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

  assertRunning() {
    this.management.assertRunning();
    this.worker.assertRunning();
  }

  async waitReady(child, url) {
    await waitFor(`${child.name} to be ready`, async () => {
      child.assertRunning();
      return (await fetch(`${url}/health/ready`)).status === 200;
    });
  }

  describe() {
    return (
      'management + 1 work node from `dist/` (`node dist/apps/{management,worker}/…/main.js`), ' +
      `core DB \`${CORE_DB}\` in the same PostgreSQL, \`LOG_LEVEL=warn\`, \`NODE_ENV=production\`, ` +
      `\`DATA_SOURCE_POOL_SIZE=${POOL_SIZE}\`, no cache; ` +
      `data source \`bench\` (postgres, prefix \`${this.prefix}\`, read-only, inline catalog) created ` +
      'and loaded through the management GraphQL API; queries `POST /query` with `x-hugr-secret-key`'
    );
  }
}

// ---------------------------------------------------------------------------------------------
// PostGraphile 4 CLI

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
    return idsOf(shape, json.data, {
      a: (d) => d.allOrdersList,
      b: (d) => d.customerById,
      c: (d) => d.ordersTotalOverList,
      customer: 'customerByCustomerId',
      orders: 'ordersByCustomerIdList',
    });
  }

  cliArgs(port) {
    // prettier-ignore
    return [
      '-c', dsn(BENCH_DB),
      '--host', '127.0.0.1',
      '--port', String(port),
      '--max-pool-size', String(POOL_SIZE),
      '--disable-graphiql',
      '--disable-query-log',
      '--simple-collections', 'only',
    ];
  }

  async start() {
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
    const args = this.cliArgs('<port>');
    return (
      `\`postgraphile@${this.version}\` CLI, i.e. \`npx postgraphile ${args.join(' ')}\` with ` +
      '`NODE_ENV=production` (no watch, no JWT, no plugins), run as `node --require ' +
      'bench/peers/postgraphile-resolve.cjs node_modules/postgraphile/cli.js …` (see notes)'
    );
  }
}

// ---------------------------------------------------------------------------------------------
// raw pg over HTTP

export class RawPgTarget {
  key = 'raw-pg';
  label = 'raw pg';
  script = resolve(ROOT, 'bench/peers/raw-pg.mjs');

  bodies = { a: { limit: 50 }, b: { id: 42 }, c: { status: 'paid', minTotal: 500, limit: 50 } };

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
    return idsOf(shape, json.data, {
      a: (d) => d.orders,
      b: (d) => d.customers_by_pk,
      c: (d) => d.orders,
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
