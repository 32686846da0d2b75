/* eslint-disable @typescript-eslint/no-explicit-any -- answers are compared as parsed JSON */
import { Engine } from '@app/engine';
import { CONF_SDL, type Conformance, confSource, openConformance } from './support.js';

// Hugr's JSONAggregation: every function at a `path` inside a JSON field, on PostgreSQL. Expected
// values are derived by hand from the rows below and cross-checked with SQL written by hand.
let c: Conformance;
let engine: Engine;

const EVENTS_SDL = `
type events @table(name: "events") {
  id: Int! @pk
  kind: String!
  payload: JSON
}`;

// payload.details.amount is a number on 1, 2, 4 ("12" on 3 is a string: not a number);
// payload.ok is a boolean on 1, 2, 3; payload.user is a string on 1, 2, 4; 5 has no payload.
const ROWS = `
INSERT INTO events (id, kind, payload) VALUES
  (1, 'a', '{"user": "ann", "ok": true,  "details": {"amount": 10.5}, "tags": ["x"]}'),
  (2, 'a', '{"user": "bob", "ok": false, "details": {"amount": 4},    "tags": []}'),
  (3, 'b', '{"ok": true, "details": {"amount": "12"}}'),
  (4, 'b', '{"user": "ann", "details": {"amount": -2.5, "k-1": 7}}'),
  (5, 'b', NULL);`;

async function run(query: string, variables?: Record<string, unknown>) {
  return JSON.parse((await engine.execute({ query, variables })).body) as {
    data?: Record<string, any>;
    errors?: Array<{ message: string; extensions?: { code?: string } }>;
  };
}

beforeAll(async () => {
  c = await openConformance();
  await c.sql('CREATE TABLE events (id int PRIMARY KEY, kind text NOT NULL, payload jsonb)');
  await c.sql(ROWS);
  engine = await Engine.create([
    confSource(c.url, { catalogs: [{ name: 'conf', type: 'text', path: CONF_SDL + EVENTS_SDL }] }),
  ]);
  expect(engine.statuses).toEqual([{ name: 'conf', ok: true }]);
});

afterAll(async () => {
  await engine?.close();
  await c?.close();
});

it('every JSONAggregation function at a path, with "$." or plain dotted keys', async () => {
  const body = await run(`{ events_aggregation {
    payload {
      n: count
      users: count(path: "user")
      sum(path: "details.amount") avg(path: "$.details.amount")
      min(path: "details.amount") max(path: "details.amount")
      all_ok: bool_and(path: "ok") any_ok: bool_or(path: "ok")
      names: string_agg(path: "user", sep: ",", distinct: true)
      list(path: "user", distinct: true)
      odd: sum(path: "details.k-1")
      missing: sum(path: "nope.nothing")
    }
  } }`);
  expect(body.errors).toBeUndefined();
  const p = body.data!.events_aggregation.payload;
  // By hand: numbers 10.5, 4, -2.5 (the string "12" is not one).
  expect(p).toMatchObject({
    n: 4,
    users: 3,
    sum: 12,
    avg: 4,
    min: -2.5,
    max: 10.5,
    all_ok: false,
    any_ok: true,
    odd: 7,
    missing: null,
  });
  expect(p.names.split(',').sort()).toEqual(['ann', 'bob']);
  expect([...p.list].sort()).toEqual(['ann', 'bob']);
  // The same by SQL written by hand.
  const [sql] = await c.sql<{ sum: number; n: number }>(
    `SELECT sum((payload #>> '{details,amount}')::float8) FILTER (WHERE jsonb_typeof(payload #> '{details,amount}') = 'number') AS sum,
            count(payload #> '{user}')::int AS n FROM events`,
  );
  expect([p.sum, p.users]).toEqual([sql.sum, sql.n]);
});

it('any, last and list of JSON values at a path, per bucket, filtered by aggregations(filter:)', async () => {
  const body = await run(`{ events_bucket_aggregation(order_by: [{field: "key.kind"}]) {
    key { kind }
    aggregations { payload { amounts: list(path: "details.amount") first: any(path: "details") count } }
    with_user: aggregations(filter: {payload: {has: "user"}}) { _rows_count payload { sum(path: "details.amount") } }
  } }`);
  expect(body.errors).toBeUndefined();
  const [a, b] = body.data!.events_bucket_aggregation;
  expect(a.key).toEqual({ kind: 'a' });
  expect([...a.aggregations.payload.amounts].sort()).toEqual([10.5, 4].sort());
  expect([{ amount: 10.5 }, { amount: 4 }]).toContainEqual(a.aggregations.payload.first);
  expect(a.aggregations.payload.count).toBe(2);
  expect(a.with_user).toEqual({ _rows_count: 2, payload: { sum: 14.5 } });
  expect(b.key).toEqual({ kind: 'b' });
  // JSON values keep their JSON type: the string "12" stays a string in a list.
  expect([...b.aggregations.payload.amounts].map(String).sort()).toEqual(['-2.5', '12']);
  expect(b.aggregations.payload.count).toBe(2);
  expect(b.with_user).toEqual({ _rows_count: 1, payload: { sum: -2.5 } });
});

it('path keys are bound values, never SQL; a malformed path is a clear error', async () => {
  const hostile = "x'); DROP TABLE events; --";
  const bound = await run(`query ($p: String!) { events_aggregation { payload { sum(path: $p) } } }`, {
    p: `details.${hostile.replace(/[\s'"]/g, '_')}`,
  });
  expect(bound.errors).toBeUndefined();
  expect(bound.data!.events_aggregation.payload.sum).toBeNull();
  for (const path of ['a b', 'a."b"', "it's", '', 'a..b', 'a[0]']) {
    const body = await run(`query ($p: String!) { events_aggregation { payload { sum(path: $p) } } }`, {
      p: path,
    });
    expect(body.errors?.[0].message).toMatch(/expected keys separated by dots/);
  }
  const [{ n }] = await c.sql<{ n: number }>('SELECT count(*)::int AS n FROM events');
  expect(n).toBe(5);
});

it('sum and the other numeric functions require a path (the schema says so)', async () => {
  const body = await run('{ events_aggregation { payload { sum } } }');
  expect(body.errors?.[0].message).toMatch(/"path"/);
});
