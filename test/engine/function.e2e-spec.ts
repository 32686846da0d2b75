/* eslint-disable @typescript-eslint/no-explicit-any -- answers are compared as parsed JSON */
import { Engine } from '@app/engine';
import { CONF_SDL, type Conformance, confSource, openConformance } from './support.js';

// @function: database functions and SQL expressions under `function { … }` and
// `mutation { function { … } }`, checked against the same calls made by hand with pg.
let c: Conformance;
let engine: Engine;

const FUNCTIONS = `
extend type Function {
  "Orders of one customer"
  order_count(cid: Int!): Int @function(name: "order_count")
  big_orders(min: Float!): [orders] @function(name: "big_orders") @module(name: "reports")
  first_big(min: Float!): orders @function(name: "big_orders") @module(name: "reports")
  doubled(x: Int!): Int @function(sql: "SELECT [$x] * 2")
}
extend type MutationFunction {
  bump_qty(oid: Int!): Int @function(name: "bump_qty")
}`;

async function run(e: Engine, query: string, variables?: Record<string, unknown>) {
  return JSON.parse((await e.execute({ query, variables })).body) as {
    data?: Record<string, any>;
    errors?: Array<{ message: string }>;
  };
}

beforeAll(async () => {
  c = await openConformance();
  await c.sql(
    `CREATE FUNCTION order_count(cid int) RETURNS int LANGUAGE sql STABLE AS 'SELECT count(*)::int FROM orders WHERE customer_id = cid'`,
  );
  await c.sql(
    `CREATE FUNCTION big_orders(min numeric) RETURNS SETOF orders LANGUAGE sql STABLE AS 'SELECT * FROM orders WHERE total >= min ORDER BY id'`,
  );
  await c.sql(
    `CREATE FUNCTION bump_qty(oid int) RETURNS int LANGUAGE sql AS 'UPDATE orders SET qty = coalesce(qty, 0) + 1 WHERE id = oid RETURNING qty'`,
  );
  engine = await Engine.create([
    confSource(c.url, {
      readOnly: false,
      catalogs: [{ name: 'conf', type: 'text', path: CONF_SDL + FUNCTIONS }],
    }),
  ]);
  expect(engine.statuses).toEqual([{ name: 'conf', ok: true }]);
});

afterAll(async () => {
  await engine?.close();
  await c?.close();
});

it('calls scalar functions, SQL expressions and table functions in modules', async () => {
  const [{ n }] = await c.sql<{ n: number }>('SELECT order_count(1) AS n');
  const big = await c.sql<{ id: number }>('SELECT id FROM big_orders(200) ORDER BY id');
  const body = await run(
    engine,
    '{ function { order_count(cid: 1) doubled(x: 21) reports { big_orders(min: 200) { id customer { id } } first_big(min: 200) { id } } } }',
  );
  expect(body).toEqual({
    data: {
      function: {
        order_count: n,
        doubled: 42,
        reports: {
          big_orders: big.map((r) => ({
            id: r.id,
            customer: expect.objectContaining({ id: expect.any(Number) }),
          })),
          first_big: { id: big[0].id },
        },
      },
    },
  });
  expect(big.length).toBeGreaterThan(1);
});

it('takes arguments as bind parameters: hostile strings are data', async () => {
  c.reset();
  const body = await run(engine, 'query ($x: Int!) { function { doubled(x: $x) } }', { x: 4 });
  expect(body.data!.function.doubled).toBe(8);
  const hostile = await run(engine, '{ function { doubled(x: "1; DROP TABLE orders") } }');
  expect(hostile.errors?.[0].message).toMatch(/Int cannot represent/);
  expect(await c.sql('SELECT count(*)::int AS n FROM orders')).toEqual([{ n: 8 }]);
});

it('runs mutation functions in the request transaction', async () => {
  const [{ qty }] = await c.sql<{ qty: number | null }>('SELECT qty FROM orders WHERE id = 1');
  const body = await run(engine, 'mutation { function { bump_qty(oid: 1) } }');
  expect(body).toEqual({ data: { function: { bump_qty: (qty ?? 0) + 1 } } });
  // A later failure in the same request rolls the function's write back too.
  const failed = await run(
    engine,
    'mutation { function { bump_qty(oid: 1) } insert_tags(data: {name: "vip", label: "dup"}) { name } }',
  );
  expect(failed.errors?.[0].message).toMatch(/duplicate key/);
  expect(await c.sql('SELECT qty FROM orders WHERE id = 1')).toEqual([{ qty: (qty ?? 0) + 1 }]);
});

it('offers no mutation functions on a read-only source, and refuses a field without @function', async () => {
  const ro = await Engine.create([
    confSource(c.url, { catalogs: [{ name: 'conf', type: 'text', path: CONF_SDL + FUNCTIONS }] }),
  ]);
  try {
    expect((await run(ro, 'mutation { function { bump_qty(oid: 1) } }')).errors?.[0].message).toMatch(
      /no mutations/,
    );
    expect((await run(ro, '{ function { doubled(x: 1) } }')).data).toEqual({ function: { doubled: 2 } });
  } finally {
    await ro.close();
  }
  const bad = await Engine.create([
    confSource(c.url, {
      name: 'bad',
      catalogs: [{ name: 'bad.graphql', type: 'text', path: 'extend type Function {\n  nope: Int\n}' }],
    }),
  ]);
  expect(bad.statuses[0]).toEqual({
    name: 'bad',
    ok: false,
    error: expect.stringMatching(
      /^bad\.graphql:2:\d+: function nope: fields of Function\/MutationFunction need @function/,
    ),
  });
  await bad.close();
});
