import { type Conformance, openConformance } from './support.js';

// Sub-aggregations: `<rel>_aggregation` inside an aggregation computes each function per parent
// row over its related rows, then aggregates those per-parent values. Expected values come from
// hand-written SQL that does the same in two explicit steps.
let c: Conformance;

beforeAll(async () => {
  c = await openConformance();
});
afterAll(() => c?.close());

const num = (v: unknown) => (v === null ? null : Number(v));

it('aggregates per-customer order aggregates (back relation), in one statement', async () => {
  const [want] = await c.sql<Record<string, string | null>>(`
    SELECT count(*) AS customers, sum(r) AS rows_sum, avg(r) AS rows_avg, max(r) AS rows_max,
           avg(s) AS sum_avg, max(s) AS sum_max, sum(n) AS count_sum, min(mx) AS max_min
    FROM (SELECT c.id,
                 (SELECT count(*) FROM orders o WHERE o.customer_id = c.id) AS r,
                 (SELECT sum(total) FROM orders o WHERE o.customer_id = c.id) AS s,
                 (SELECT count(total) FROM orders o WHERE o.customer_id = c.id) AS n,
                 (SELECT max(total) FROM orders o WHERE o.customer_id = c.id) AS mx
          FROM customers c) per_customer`);
  c.reset();
  const body = await c.run(`{ customers_aggregation {
    _rows_count
    orders_aggregation { _rows_count { sum avg max } total { sum { avg max } count { sum } max { min } } }
  } }`);
  expect(body).toEqual({
    data: {
      customers_aggregation: {
        _rows_count: num(want.customers),
        orders_aggregation: {
          _rows_count: { sum: num(want.rows_sum), avg: num(want.rows_avg), max: num(want.rows_max) },
          total: {
            sum: { avg: num(want.sum_avg), max: num(want.sum_max) },
            count: { sum: num(want.count_sum) },
            max: { min: num(want.max_min) },
          },
        },
      },
    },
  });
  expect(c.statements).toHaveLength(1);
});

it('applies the relation filter per parent, over many-to-many relations too', async () => {
  const [want] = await c.sql<Record<string, string | null>>(`
    SELECT sum(r) AS rows_sum, max(r) AS rows_max
    FROM (SELECT t.name,
                 (SELECT count(*) FROM orders o JOIN order_tags ot ON ot.order_id = o.id
                   WHERE ot.tag_name = t.name AND o.status = 'paid') AS r
          FROM tags t) per_tag`);
  const body = await c.run(
    '{ tags_aggregation { orders_aggregation(filter: {status: {eq: "paid"}}) { _rows_count { sum max } } } }',
  );
  expect(body).toEqual({
    data: {
      tags_aggregation: {
        orders_aggregation: { _rows_count: { sum: num(want.rows_sum), max: num(want.rows_max) } },
      },
    },
  });
});

it('exposes the level-2 types and refuses list relations where they cannot be computed yet', async () => {
  const types = await c.run(
    '{ s: __type(name: "_orders_aggregation_sub_aggregation") { fields { name type { name } } } i: __type(name: "IntSubAggregation") { fields { name } } }',
  );
  expect(types.data!.s.fields).toEqual(
    expect.arrayContaining([
      { name: '_rows_count', type: { name: 'BigIntAggregation' } },
      { name: 'total', type: { name: 'FloatSubAggregation' } },
    ]),
  );
  expect(types.data!.i.fields.map((f: { name: string }) => f.name)).toEqual([
    'count',
    'sum',
    'avg',
    'min',
    'max',
  ]);
  const bucket = await c.run(
    '{ customers_bucket_aggregation { key { active } aggregations { orders_aggregation { _rows_count { sum } } } } }',
  );
  expect(bucket.errors?.[0].message).toMatch(
    /list relations inside bucket aggregations are not supported yet/,
  );
});
