import { Engine, type SourceInput } from '@app/engine';
import { type Conformance, openConformance } from './support.js';

// The postgres driver's guarantees, on the real server: statement timeout, read-only sessions,
// `${ENV}` substitution and a source that fails without taking the others down.
let c: Conformance;

beforeAll(async () => {
  c = await openConformance();
  await c.sql(`CREATE TABLE scratch (id int primary key, v text)`);
  await c.sql(`INSERT INTO scratch VALUES (1, 'kept')`);
  await c.sql(`CREATE SEQUENCE scratch_seq`);
});
afterAll(() => c?.close());

const source = (over: Partial<SourceInput>): SourceInput => ({
  name: 'drv',
  type: 'postgres',
  prefix: 'drv',
  asModule: false,
  path: c.url,
  readOnly: true,
  catalogs: [
    {
      name: 'drv',
      type: 'text',
      path: `
        type slow @view(name: "slow", sql: "SELECT 1 AS id, pg_sleep(2)::text AS v") { id: Int! @pk  v: String }
        type bump @view(name: "bump", sql: "SELECT nextval('scratch_seq')::int AS id") { id: Int! @pk }
        type scratch @table(name: "scratch") { id: Int! @pk  v: String }`,
    },
  ],
  ...over,
});

async function open(over: Partial<SourceInput>, options = {}): Promise<Engine> {
  return Engine.create([source(over)], options);
}

it('cancels a statement over the timeout and reports it on the field', async () => {
  const engine = await open({}, { statementTimeoutMs: 200 });
  try {
    const started = Date.now();
    const body = JSON.parse((await engine.execute({ query: '{ drv_slow { id } }' })).body);
    expect(Date.now() - started).toBeLessThan(1900);
    expect(body.data).toEqual({ drv_slow: null });
    expect(body.errors[0]).toMatchObject({
      message: 'data source drv: statement timeout',
      path: ['drv_slow'],
    });
  } finally {
    await engine.close();
  }
});

it('runs a read-only source in read-only sessions: a view that writes fails and changes nothing', async () => {
  const engine = await open({});
  try {
    const body = JSON.parse((await engine.execute({ query: '{ drv_bump { id } }' })).body);
    expect(body.errors[0].message).toMatch(/data source drv failed to run the query \(SQLSTATE 25006\)/);
    expect(await c.sql('SELECT last_value::int AS v, is_called FROM scratch_seq')).toEqual([
      { v: 1, is_called: false },
    ]);
  } finally {
    await engine.close();
  }
});

it('substitutes ${ENV} in the path, and reports a missing variable without connecting', async () => {
  const url = new URL(c.url);
  const db = url.pathname.slice(1);
  url.pathname = '/${MUNINN_DRV_DB}';
  const path = url.toString().replace('%7B', '{').replace('%7D', '}');
  const ok = await open({ path }, { env: { MUNINN_DRV_DB: db } });
  const missing = await Engine.create([source({ name: 'other', prefix: 'other', path })], { env: {} });
  try {
    expect(ok.statuses).toEqual([{ name: 'drv', ok: true }]);
    expect(JSON.parse((await ok.execute({ query: '{ drv_scratch { v } }' })).body)).toEqual({
      data: { drv_scratch: [{ v: 'kept' }] },
    });
    expect(missing.statuses).toEqual([
      { name: 'other', ok: false, error: 'environment variable MUNINN_DRV_DB is not set' },
    ]);
  } finally {
    await ok.close();
    await missing.close();
  }
});

it('leaves out a source that cannot connect or does not compile, and serves the rest', async () => {
  const engine = await Engine.create([
    source({}),
    source({ name: 'down', prefix: 'down', path: 'postgres://postgres@127.0.0.1:1/none' }),
    source({
      name: 'bad',
      prefix: 'bad',
      catalogs: [{ name: 'bad.graphql', type: 'text', path: 'type x @table(name: "x") {\n  id: Nope\n}' }],
    }),
    source({ name: 'clash', prefix: 'drv' }),
    source({ name: 'oracle', type: 'oracle', prefix: 'ora' }),
  ]);
  try {
    expect(engine.statuses).toEqual([
      { name: 'drv', ok: true },
      { name: 'down', ok: false, error: 'cannot connect: connection refused' },
      {
        name: 'bad',
        ok: false,
        error: expect.stringMatching(/^bad\.graphql:2:\d+: field x\.id: unknown or unsupported type Nope/),
      },
      {
        name: 'clash',
        ok: false,
        error: expect.stringMatching(/type drv_slow is also defined by data source drv/),
      },
      {
        name: 'oracle',
        ok: false,
        error: 'data source type "oracle" is not supported yet (postgres, duckdb and mysql are)',
      },
    ]);
    expect(JSON.parse((await engine.execute({ query: '{ drv_scratch { id } }' })).body)).toEqual({
      data: { drv_scratch: [{ id: 1 }] },
    });
  } finally {
    await engine.close();
  }
});
