import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { type NodeProcess, graphql, startNode, waitFor } from './support/node-process.js';
import { createTestDatabase, runSql } from './support/postgres.js';

// The data API of a work node as a real process: management + one worker on real PostgreSQL,
// the conformance fixture as the data source.
const CLUSTER_SECRET = 'e2e-query-secret-3d9e';
const ADMIN_KEY = 'e2e-query-admin-8a41';
const FIXTURE = resolve(import.meta.dirname, 'engine/fixture');
const SDL = readFileSync(resolve(FIXTURE, 'conf.graphql'), 'utf8');

let core: { url: string; drop: () => Promise<void> };
let data: { url: string; drop: () => Promise<void> };
let mgmt: NodeProcess;
let worker: NodeProcess;
const started: NodeProcess[] = [];

const admin = <T>(query: string, variables?: Record<string, unknown>) =>
  graphql<T>(mgmt.url, ADMIN_KEY, query, variables);

const AUTH = { 'x-hugr-secret-key': ADMIN_KEY };

async function post(body: unknown, path = '/query', headers: Record<string, string> = {}) {
  const res = await fetch(`${worker.url}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-hugr-secret-key': ADMIN_KEY, ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, text, json: () => JSON.parse(text) as Record<string, any> };
}

const LOAD = `
  mutation ($input: DataSourceInput!, $name: String!) {
    createDataSource(input: $input) { name }
    loadDataSource(name: $name) { success message nodes { node success message } }
  }`;

const source = (name: string, path: string, sdl = SDL, prefix = '') => ({
  name,
  input: { name, type: 'postgres', prefix, path, readOnly: true, catalogs: [{ name, type: 'TEXT', sdl }] },
});

beforeAll(async () => {
  [core, data] = await Promise.all([
    createTestDatabase('muninn_qapi_core'),
    createTestDatabase('muninn_qapi_data'),
  ]);
  await runSql(data.url, readFileSync(resolve(FIXTURE, 'conf.sql'), 'utf8'));
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
      CLUSTER_NODE_NAME: 'q1',
      CORE_DB_PATH: core.url,
      SECRET_KEY: ADMIN_KEY,
      DRAIN_DELAY: '0s',
      MAX_DEPTH: '4',
      MAX_ROOT_FIELDS: '3',
      MAX_BODY_SIZE: '1',
      LOG_LEVEL: 'debug',
      // `${ENV}` substitution in a data-source path, done on the node.
      MUNINN_E2E_DATA_DB: new URL(data.url).pathname.slice(1),
    },
    started,
  );
  await waitFor('worker registered', async () => {
    const res = await admin<{ nodes: { status: string }[] }>('{ nodes { status } }');
    return res.data?.nodes.some((n) => n.status === 'HEALTHY');
  });
  const url = new URL(data.url);
  const path = `${url.protocol}//${url.username}@${url.host}/\${MUNINN_E2E_DATA_DB}`;
  const res = await admin<{ loadDataSource: { success: boolean } }>(LOAD, source('conf', path));
  expect(res.errors).toBeUndefined();
  expect(res.data!.loadDataSource.success).toBe(true);
});

afterAll(async () => {
  await Promise.all(started.map((p) => p.kill()));
  await Promise.all([core?.drop(), data?.drop()]);
});

describe('work node data API (real processes, real PostgreSQL)', () => {
  const q = '{ customers_by_pk(id: 1) { id name orders(order_by: [{field: "id"}]) { id } } }';
  const expected = {
    data: { customers_by_pk: { id: 1, name: 'Alice Adams', orders: [{ id: 1 }, { id: 2 }] } },
  };

  it('answers POST /query, POST /graphql and GET /query?query= alike', async () => {
    const a = await post({ query: q });
    const b = await post({ query: q }, '/graphql');
    const c = await fetch(`${worker.url}/query?query=${encodeURIComponent(q)}`, { headers: AUTH });
    expect(a.status).toBe(200);
    expect(a.json()).toEqual(expected);
    expect(b.json()).toEqual(expected);
    expect(c.status).toBe(200);
    expect(c.headers.get('content-type')).toMatch(/application\/json/);
    expect(await c.json()).toEqual(expected);
  });

  it('takes variables and operationName on GET too', async () => {
    const query =
      'query A($id: Int!) { orders_by_pk(id: $id) { id } } query B { tags_by_pk(name: "vip") { name } }';
    const params = new URLSearchParams({ query, variables: JSON.stringify({ id: 3 }), operationName: 'A' });
    const res = await fetch(`${worker.url}/query?${params}`, { headers: AUTH });
    expect(await res.json()).toEqual({ data: { orders_by_pk: { id: 3 } } });
    const bad = await fetch(`${worker.url}/query?${new URLSearchParams({ query, variables: '{nope' })}`, {
      headers: AUTH,
    });
    expect(bad.status).toBe(400);
  });

  it('answers validation errors with 200, locations and a code, and sends nothing to the database', async () => {
    const res = await post({ query: '{ customers { id nope } }' });
    expect(res.status).toBe(200);
    const body = res.json();
    expect(body.data).toBeUndefined();
    expect(body.errors[0]).toMatchObject({
      message: expect.stringContaining('nope'),
      locations: [{ line: 1, column: 18 }],
      extensions: { code: 'GRAPHQL_VALIDATION_FAILED' },
    });
  });

  it('applies MAX_DEPTH from the environment', async () => {
    const ok = await post({ query: '{ customers(limit: 1) { orders { customer { id } } } }' });
    expect(ok.json().errors).toBeUndefined();
    const deep = await post({ query: '{ customers { orders { customer { orders { id } } } } }' });
    expect(deep.json().errors[0].message).toMatch(/depth 5 exceeds the maximum depth 4/);
  });

  it('applies MAX_ROOT_FIELDS from the environment, counting fields inside modules, before any statement runs', async () => {
    const three = await post({
      query:
        '{ a: customers(limit: 1) { id } b: customers(limit: 1) { id } function { core { info { version } } } }',
    });
    expect(three.json().errors).toBeUndefined();
    expect(three.json().data.a).toHaveLength(1);
    const mark = worker.log.length;
    const many = Array.from({ length: 2000 }, (_, i) => `a${i}: customers { id }`).join(' ');
    for (const query of [
      '{ a: customers { id } b: customers { id } c: orders { id } d: tags { name } }',
      '{ a: customers { id } b: customers { id } c: orders { id } function { core { info { version } } } }',
      `{ ${many} }`,
    ]) {
      const res = await post({ query });
      expect(res.status).toBe(200);
      expect(res.json().data).toBeUndefined();
      expect(res.json().errors).toEqual([
        expect.objectContaining({
          message: expect.stringMatching(/more than 3 data fields at the root \(MAX_ROOT_FIELDS\)/),
          extensions: { code: 'GRAPHQL_VALIDATION_FAILED' },
        }),
      ]);
    }
    // Refused before planning: no statement was logged (LOG_LEVEL=debug logs every one).
    expect(worker.log.slice(mark)).not.toContain('"msg":"sql"');
  });

  it('rejects malformed requests with 400, unknown media types with 415 and bodies over MAX_BODY_SIZE with 413', async () => {
    expect((await post('{"query": ')).status).toBe(400);
    expect((await post('[1,2]')).status).toBe(400);
    expect((await post({ query: 42 })).status).toBe(400);
    expect((await post({ query: '{ customers { id } }', variables: [1] })).status).toBe(400);
    const send = (type: string) =>
      fetch(`${worker.url}/query`, {
        method: 'POST',
        headers: { 'content-type': type },
        body: '{ customers { id } }',
      });
    // text/plain is read (for signed cluster calls) but is not a GraphQL request: 400 with a message.
    const plain = await send('text/plain');
    expect(plain.status).toBe(400);
    expect(await plain.text()).toContain('must be a JSON object');
    expect((await send('application/xml')).status).toBe(415);
    const huge = await post({
      query: `{ customers(filter: {name: {eq: "${'x'.repeat(1_200_000)}"}}) { id } }`,
    });
    expect(huge.status).toBe(413);
    // …and the node keeps serving.
    expect((await post({ query: q })).json()).toEqual(expected);
  });

  it('logs one statement per root field, with bind parameters only', async () => {
    const hostile = "x'; DROP TABLE customers; --";
    const mark = worker.log.length;
    const res = await post({
      query: `query Three($h: String) {
        a: customers(filter: {name: {eq: $h}}) { id orders { id tags { name } } }
        b: orders(filter: {status: {like: "${hostile}"}}) { id customer { id } }
        c: tags { name orders { id } }
      }`,
      variables: { h: hostile },
    });
    expect(res.json().errors).toBeUndefined();
    const lines = await waitFor('three sql log lines', () => {
      const found = worker.log
        .slice(mark)
        .split('\n')
        .filter((l) => l.includes('"msg":"sql"'));
      return found.length >= 3 && found;
    });
    expect(lines).toHaveLength(3);
    for (const line of lines) {
      const sql = JSON.parse(line).sql as string;
      expect(sql).toMatch(/\$1/);
      expect(sql).not.toContain('DROP TABLE');
    }
    expect(worker.log).not.toContain('DROP TABLE');
  });

  it('refuses a catalog that does not compile before committing it, naming catalog and line', async () => {
    const before = await admin<{ cluster: { schemaVersion: number } }>('{ cluster { schemaVersion } }');
    const bad = 'type things @table(name: "things") {\n  id: Int! @pk\n  owner: Nobody\n}';
    const res = await admin(LOAD, source('broken', data.url, bad));
    expect(res.errors?.[0].message).toMatch(/broken:3:\d+: .*unknown or unsupported type Nobody/);
    const after = await admin<{ cluster: { schemaVersion: number }; dataSource: unknown }>(
      '{ cluster { schemaVersion } dataSource(name: "broken") { name } }',
    );
    expect(after.data!.dataSource).toBeNull();
    expect(after.data!.cluster.schemaVersion).toBe(before.data!.cluster.schemaVersion);
  });

  it('validateCatalog reports problems with lines, or the generated schema', async () => {
    type V = {
      validateCatalog: { valid: boolean; errors: { line: number; message: string }[]; schema: string | null };
    };
    const query =
      'mutation ($sdl: String!) { validateCatalog(sdl: $sdl) { valid errors { line message } schema } }';
    const bad = await admin<V>(query, {
      sdl: 'type a @table(name: "a") {\n  id: Int! @pk\n  b: Int @field_references(references_name: "zz", field: "id")\n}',
    });
    expect(bad.data!.validateCatalog.valid).toBe(false);
    expect(bad.data!.validateCatalog.errors[0]).toMatchObject({
      line: 3,
      message: expect.stringContaining('"zz"'),
    });
    const good = await admin<V>(query, { sdl: 'type a @table(name: "a") { id: Int! @pk }' });
    expect(good.data!.validateCatalog).toMatchObject({ valid: true, errors: [] });
    expect(good.data!.validateCatalog.schema).toContain('a_by_pk(id: Int!): a');
  });

  it('reports a source that cannot connect per node and keeps serving the others', async () => {
    const res = await admin<{ loadDataSource: { nodes: { node: string; success: boolean }[] } }>(
      LOAD,
      source(
        'gone',
        'postgres://postgres@127.0.0.1:1/nowhere',
        'type gone_t @table(name: "t") { id: Int! @pk }',
        'gone',
      ),
    );
    expect(res.errors).toBeUndefined();
    const status = await admin<{
      dataSource: { nodes: { node: string; loaded: boolean; error: string | null }[] };
    }>('{ dataSource(name: "gone") { nodes { node loaded error } } }');
    expect(status.data!.dataSource.nodes).toEqual([
      { node: 'q1', loaded: false, error: expect.stringMatching(/cannot connect: connection refused/) },
    ]);
    expect((await post({ query: q })).json()).toEqual(expected);
    const missing = await post({ query: '{ gone_gone_t { id } }' });
    expect(missing.json().errors[0].message).toMatch(/Cannot query field "gone_gone_t"/);
  });

  it('never writes a secret or the data-source password to its log', () => {
    for (const p of [worker, mgmt]) {
      expect(p.log).not.toContain(CLUSTER_SECRET);
      expect(p.log).not.toContain(ADMIN_KEY);
    }
  });
});
