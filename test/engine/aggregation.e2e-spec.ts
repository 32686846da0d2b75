/**
 * Conformance of aggregations (SPEC §4, docs/query-language.md, Hugr's "Aggregations" page) on the
 * read-only fixture in fixture/conf.sql + fixture/conf.graphql.
 *
 * Every expected answer is a literal worked out by hand from conf.sql. Each case also carries a
 * hand-written SQL query that builds the same JSON value with `pg` on the same database; the SQL
 * check runs first, so a wrong hand derivation fails before the engine is asked.
 *
 * Orders at a glance (see conformance.e2e-spec.ts for the whole fixture):
 *   id cust status    total  qty  created_at (UTC)             weekday   shipped_on  tags
 *   1  1    paid      120.50 2    2024-03-01T09:00:00Z         Fri (5)   2024-03-03  gift, rush
 *   2  1    shipped    35.00 1    2024-03-02T10:15:30Z         Sat (6)   2024-03-05  -
 *   3  2    paid      250.00 5    2024-03-05T14:00:00.789Z     Tue (2)   null        bulk, rush
 *   4  2    cancelled  99.99 null 2024-03-07T08:00:00Z         Thu (4)   null        -
 *   5  3    new       100.00 3    2024-03-09T18:45:00Z         Sat (6)   null        -
 *   6  3    shipped   480.25 10   2024-03-10T11:11:11.123456Z  Sun (0)   2024-03-12  gift
 *   7  4    paid       15.75 1    null                         -         null        -
 *   8  null new        60.00 2    2024-03-12T07:30:00Z         Tue (2)   null        rush
 *   Σ total = 1161.49 (avg 145.18625), Σ qty = 24 over 7 values.
 *   By status: cancelled [4] 99.99 · new [5, 8] 160 · paid [1, 3, 7] 386.25 · shipped [2, 6] 515.25
 *   ISO weeks (Monday): 2024-02-26 [1, 2] · 2024-03-04 [3, 4, 5, 6] · 2024-03-11 [8] · null [7]
 */
import { type Conformance, type Data, itUnless, openConformance, unsupportedOn } from './support.js';

let c: Conformance;

beforeAll(async () => {
  c = await openConformance();
  // Timestamp text as the engine writes it: UTC, `Z`, fractional seconds only when non-zero.
  await c.sql(`CREATE FUNCTION pg_temp.ts(t timestamptz) RETURNS text LANGUAGE sql AS $$
    SELECT regexp_replace(to_char(t AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US'), '\\.?0+$', '') || 'Z'
  $$`);
});

afterAll(async () => {
  await c?.close();
});

async function expectData(query: string, expected: Data, variables?: Record<string, unknown>): Promise<void> {
  expect(await c.run(query, variables)).toEqual({ data: expected });
}

/** Runs hand-written SQL that returns one row with a JSON column `j`. */
async function sqlJson(sql: string): Promise<unknown> {
  const rows = await c.sql<{ j: unknown }>(sql);
  expect(rows).toHaveLength(1);
  return rows[0].j;
}

/** The SQL's `j` must equal the literal (the hand derivation), then the engine must answer the literal. */
async function checkCase(query: string, expected: Data, sql: string): Promise<void> {
  const key = Object.keys(expected)[0];
  expect(await sqlJson(sql)).toEqual(expected[key]);
  await expectData(query, expected);
}

/** Error messages must not leak generated SQL. */
function expectNoSqlText(message: string): void {
  expect(message).not.toMatch(
    /\bselect\b[\s\S]*\bfrom\b|json_build_object|json_agg|jsonb_build_object|lateral|\$\d/i,
  );
}

type Bucket = { key: Data; [k: string]: unknown };
/** Buckets without an explicit order_by come in any order: sort them by their key. */
const byKey = (buckets: Bucket[]) =>
  [...buckets].sort((a, b) => JSON.stringify(a.key).localeCompare(JSON.stringify(b.key)));

async function checkUnordered(query: string, root: string, expected: Bucket[], sql: string): Promise<void> {
  expect(byKey((await sqlJson(sql)) as Bucket[])).toEqual(byKey(expected));
  const body = await c.run(query);
  expect(body.errors).toBeUndefined();
  expect(byKey(body.data?.[root] as Bucket[])).toEqual(byKey(expected));
}

const sorted = <T>(xs: T[]) => [...xs].sort();
const nums = (xs: number[]) => [...xs].sort((x, y) => x - y);

describe('single-row aggregation: numbers', () => {
  type Case = [label: string, query: string, expected: Data, sql: string];
  const cases: Case[] = [
    [
      '_rows_count only',
      '{ orders_aggregation { _rows_count } }',
      { orders_aggregation: { _rows_count: 8 } },
      "SELECT json_build_object('_rows_count', count(*)) AS j FROM orders",
    ],
    [
      'NUMERIC (Float) and Int functions over all rows (count skips NULL)',
      '{ orders_aggregation { _rows_count total { count sum avg min max } qty { count sum min max } } }',
      {
        orders_aggregation: {
          _rows_count: 8,
          total: { count: 8, sum: 1161.49, avg: 145.18625, min: 15.75, max: 480.25 },
          qty: { count: 7, sum: 24, min: 1, max: 10 },
        },
      },
      `SELECT json_build_object('_rows_count', count(*),
         'total', json_build_object('count', count(total), 'sum', sum(total), 'avg', avg(total), 'min', min(total), 'max', max(total)),
         'qty', json_build_object('count', count(qty), 'sum', sum(qty), 'min', min(qty), 'max', max(qty))) AS j FROM orders`,
    ],
    [
      'with a filter (paid)',
      '{ orders_aggregation(filter: {status: {eq: "paid"}}) { _rows_count total { sum avg min max } qty { count sum } } }',
      {
        orders_aggregation: {
          _rows_count: 3,
          total: { sum: 386.25, avg: 128.75, min: 15.75, max: 250 },
          qty: { count: 3, sum: 8 },
        },
      },
      `SELECT json_build_object('_rows_count', count(*),
         'total', json_build_object('sum', sum(total), 'avg', avg(total), 'min', min(total), 'max', max(total)),
         'qty', json_build_object('count', count(qty), 'sum', sum(qty))) AS j FROM orders WHERE status = 'paid'`,
    ],
    [
      'with a filter through a forward relation',
      '{ orders_aggregation(filter: {customer: {active: {eq: true}}}) { _rows_count total { sum } } }',
      { orders_aggregation: { _rows_count: 4, total: { sum: 735.75 } } },
      `SELECT json_build_object('_rows_count', count(*), 'total', json_build_object('sum', sum(o.total))) AS j
         FROM orders o JOIN customers c ON c.id = o.customer_id WHERE c.active`,
    ],
    [
      'over no rows: _rows_count 0, count 0, the rest null',
      '{ orders_aggregation(filter: {status: {eq: "none"}}) { _rows_count total { count sum avg min max } qty { count sum } } }',
      {
        orders_aggregation: {
          _rows_count: 0,
          total: { count: 0, sum: null, avg: null, min: null, max: null },
          qty: { count: 0, sum: null },
        },
      },
      `SELECT json_build_object('_rows_count', count(*),
         'total', json_build_object('count', count(total), 'sum', sum(total), 'avg', avg(total), 'min', min(total), 'max', max(total)),
         'qty', json_build_object('count', count(qty), 'sum', sum(qty))) AS j FROM orders WHERE status = 'none'`,
    ],
    [
      'over rows whose values are all NULL',
      '{ orders_aggregation(filter: {id: {eq: 4}}) { _rows_count qty { count sum avg min max } } }',
      {
        orders_aggregation: { _rows_count: 1, qty: { count: 0, sum: null, avg: null, min: null, max: null } },
      },
      `SELECT json_build_object('_rows_count', count(*), 'qty', json_build_object('count', count(qty), 'sum', sum(qty),
         'avg', avg(qty), 'min', min(qty), 'max', max(qty))) AS j FROM orders WHERE id = 4`,
    ],
    [
      'double precision (Float)',
      '{ customers_aggregation { score { count sum avg min max } } }',
      { customers_aggregation: { score: { count: 4, sum: 12.75, avg: 3.1875, min: 0, max: 5 } } },
      `SELECT json_build_object('score', json_build_object('count', count(score), 'sum', sum(score), 'avg', avg(score),
         'min', min(score), 'max', max(score))) AS j FROM customers`,
    ],
    [
      'BigInt above 2^31 and negative',
      '{ customers_aggregation { big { count sum avg min max } } }',
      {
        customers_aggregation: {
          big: { count: 4, sum: 5147483685, avg: 1286870921.25, min: -5, max: 3000000000 },
        },
      },
      `SELECT json_build_object('big', json_build_object('count', count(big), 'sum', sum(big), 'avg', avg(big),
         'min', min(big), 'max', max(big))) AS j FROM customers`,
    ],
    [
      'Boolean: bool_and / bool_or',
      '{ customers_aggregation { _rows_count active { count bool_and bool_or } } }',
      { customers_aggregation: { _rows_count: 5, active: { count: 4, bool_and: false, bool_or: true } } },
      `SELECT json_build_object('_rows_count', count(*), 'active', json_build_object('count', count(active),
         'bool_and', bool_and(active), 'bool_or', bool_or(active))) AS j FROM customers`,
    ],
    [
      'Boolean over true values only',
      '{ customers_aggregation(filter: {active: {eq: true}}) { active { bool_and bool_or } } }',
      { customers_aggregation: { active: { bool_and: true, bool_or: true } } },
      `SELECT json_build_object('active', json_build_object('bool_and', bool_and(active), 'bool_or', bool_or(active))) AS j
         FROM customers WHERE active`,
    ],
    [
      'a @field_source string and an @sql field: count',
      '{ customers_aggregation { name { count } upper_name { count } email { count } } }',
      { customers_aggregation: { name: { count: 5 }, upper_name: { count: 5 }, email: { count: 4 } } },
      `SELECT json_build_object('name', json_build_object('count', count(full_name)),
         'upper_name', json_build_object('count', count(upper(full_name))),
         'email', json_build_object('count', count(email))) AS j FROM customers`,
    ],
  ];
  it.each(cases)('%s', async (_label, query, expected, sql) => checkCase(query, expected, sql));

  it('count and sums are JSON numbers, not strings', async () => {
    const body = await c.run(
      '{ orders_aggregation { _rows_count total { count sum avg } } customers_aggregation { big { sum } } }',
    );
    expect(body.errors).toBeUndefined();
    expect(typeof body.data?.orders_aggregation._rows_count).toBe('number');
    expect(typeof body.data?.orders_aggregation.total.count).toBe('number');
    expect(typeof body.data?.orders_aggregation.total.sum).toBe('number');
    expect(typeof body.data?.orders_aggregation.total.avg).toBe('number');
    expect(typeof body.data?.customers_aggregation.big.sum).toBe('number');
  });

  it('avg of Int is a Float (24 / 7)', async () => {
    expect(await sqlJson('SELECT avg(qty)::float8 AS j FROM orders')).toBeCloseTo(24 / 7, 10);
    const body = await c.run('{ orders_aggregation { qty { avg } } }');
    expect(body.errors).toBeUndefined();
    expect(body.data?.orders_aggregation.qty.avg).toBeCloseTo(3.4285714285714, 10);
  });
});

describe('single-row aggregation: dates and timestamps', () => {
  type Case = [label: string, query: string, expected: Data, sql: string];
  const cases: Case[] = [
    [
      'Timestamp and Date count/min/max over all orders',
      '{ orders_aggregation { created_at { count min max } shipped_on { count min max } } }',
      {
        orders_aggregation: {
          created_at: { count: 7, min: '2024-03-01T09:00:00Z', max: '2024-03-12T07:30:00Z' },
          shipped_on: { count: 3, min: '2024-03-03', max: '2024-03-12' },
        },
      },
      `SELECT json_build_object(
         'created_at', json_build_object('count', count(created_at), 'min', pg_temp.ts(min(created_at)), 'max', pg_temp.ts(max(created_at))),
         'shipped_on', json_build_object('count', count(shipped_on), 'min', min(shipped_on), 'max', max(shipped_on))) AS j FROM orders`,
    ],
    [
      'Timestamp min/max keep milli- and microseconds',
      '{ orders_aggregation(filter: {id: {in: [3, 6]}}) { created_at { min max } } }',
      {
        orders_aggregation: {
          created_at: { min: '2024-03-05T14:00:00.789Z', max: '2024-03-10T11:11:11.123456Z' },
        },
      },
      `SELECT json_build_object('created_at', json_build_object('min', pg_temp.ts(min(created_at)), 'max', pg_temp.ts(max(created_at))))
         AS j FROM orders WHERE id IN (3, 6)`,
    ],
    [
      'Date (leap day) and Timestamp on customers',
      '{ customers_aggregation { born { count min max } created_at { count min max } } }',
      {
        customers_aggregation: {
          born: { count: 4, min: '1970-01-01', max: '2000-02-29' },
          created_at: { count: 4, min: '2024-01-15T10:00:00Z', max: '2024-05-05T00:00:00Z' },
        },
      },
      `SELECT json_build_object('born', json_build_object('count', count(born), 'min', min(born), 'max', max(born)),
         'created_at', json_build_object('count', count(created_at), 'min', pg_temp.ts(min(created_at)), 'max', pg_temp.ts(max(created_at))))
         AS j FROM customers`,
    ],
    [
      'a truncated timestamp (bucket: day) aggregated',
      '{ orders_aggregation { created_at(bucket: day) { count min max } } }',
      {
        orders_aggregation: {
          created_at: { count: 7, min: '2024-03-01T00:00:00Z', max: '2024-03-12T00:00:00Z' },
        },
      },
      `SELECT json_build_object('created_at', json_build_object('count', count(created_at),
         'min', pg_temp.ts(min(date_trunc('day', created_at, 'UTC'))), 'max', pg_temp.ts(max(date_trunc('day', created_at, 'UTC')))))
         AS j FROM orders`,
    ],
    [
      'an extracted part (_created_at_part(extract: day)) aggregated as BigInt',
      '{ orders_aggregation { _created_at_part(extract: day) { count sum min max } } }',
      { orders_aggregation: { _created_at_part: { count: 7, sum: 46, min: 1, max: 12 } } },
      `SELECT json_build_object('_created_at_part', json_build_object('count', count(d), 'sum', sum(d), 'min', min(d), 'max', max(d)))
         AS j FROM (SELECT extract(day FROM created_at AT TIME ZONE 'UTC')::bigint AS d FROM orders) x`,
    ],
  ];
  it.each(cases)('%s', async (_label, query, expected, sql) => checkCase(query, expected, sql));
});

describe('single-row aggregation: list, string_agg, any, last', () => {
  it('list keeps duplicates and skips NULL; list(distinct: true) does not repeat', async () => {
    const body = await c.run(
      '{ orders_aggregation { qty { all: list d: list(distinct: true) } status { list(distinct: true) } } }',
    );
    expect(body.errors).toBeUndefined();
    const a = body.data?.orders_aggregation;
    expect(nums(a.qty.all)).toEqual([1, 1, 2, 2, 3, 5, 10]);
    expect(nums(a.qty.d)).toEqual([1, 2, 3, 5, 10]);
    expect(sorted(a.status.list as string[])).toEqual(['cancelled', 'new', 'paid', 'shipped']);
  });

  it('list on an @sql field, a Date and a Boolean', async () => {
    const body = await c.run(
      `{ orders_aggregation { status_label { list(distinct: true) } shipped_on { list } }
         customers_aggregation { active { list(distinct: true) } } }`,
    );
    expect(body.errors).toBeUndefined();
    expect(sorted(body.data?.orders_aggregation.status_label.list)).toEqual([
      'CANCELLED',
      'NEW',
      'PAID',
      'SHIPPED',
    ]);
    expect(sorted(body.data?.orders_aggregation.shipped_on.list)).toEqual([
      '2024-03-03',
      '2024-03-05',
      '2024-03-12',
    ]);
    expect(sorted(body.data?.customers_aggregation.active.list)).toEqual([false, true]);
  });

  it('list of a NUMERIC column gives JSON numbers', async () => {
    const body = await c.run('{ orders_aggregation(filter: {customer_id: {eq: 1}}) { total { list } } }');
    expect(body.errors).toBeUndefined();
    expect(nums(body.data?.orders_aggregation.total.list)).toEqual([35, 120.5]);
  });

  it('string_agg(sep) joins the values (order unspecified: compared sorted)', async () => {
    const body = await c.run(
      '{ customers_aggregation(filter: {id: {lte: 3}}) { name { string_agg(sep: " | ") } } }',
    );
    expect(body.errors).toBeUndefined();
    const s = body.data?.customers_aggregation.name.string_agg as string;
    expect(s.split(' | ').sort()).toEqual(['Alice Adams', "Bob O'Brien", 'Chloé Dubois']);
  });

  it('string_agg(distinct: true) over one repeated value', () =>
    expectData(
      '{ orders_aggregation(filter: {status: {eq: "paid"}}) { status { string_agg(sep: ", ", distinct: true) } } }',
      {
        orders_aggregation: { status: { string_agg: 'paid' } },
      },
    ));

  it('string_agg without distinct repeats values', async () => {
    const body = await c.run(
      '{ orders_aggregation(filter: {status: {eq: "paid"}}) { status { string_agg(sep: ",") } } }',
    );
    expect(body.errors).toBeUndefined();
    expect(body.data?.orders_aggregation.status.string_agg).toBe('paid,paid,paid');
  });

  it('any / last / list / string_agg over a single row', () =>
    expectData(
      '{ orders_aggregation(filter: {id: {eq: 3}}) { status { any last string_agg(sep: ", ") list } total { any last list } created_at { any last } } }',
      {
        orders_aggregation: {
          status: { any: 'paid', last: 'paid', string_agg: 'paid', list: ['paid'] },
          total: { any: 250, last: 250, list: [250] },
          created_at: { any: '2024-03-05T14:00:00.789Z', last: '2024-03-05T14:00:00.789Z' },
        },
      },
    ));

  it('any / last over several rows are among the values', async () => {
    const body = await c.run('{ orders_aggregation(filter: {customer_id: {eq: 1}}) { total { any last } } }');
    expect(body.errors).toBeUndefined();
    expect([120.5, 35]).toContain(body.data?.orders_aggregation.total.any);
    expect([120.5, 35]).toContain(body.data?.orders_aggregation.total.last);
  });
});

describe('single-row aggregation: arguments and forward relations', () => {
  type Case = [label: string, query: string, expected: Data, sql: string];
  const cases: Case[] = [
    [
      'order_by + limit: the 3 largest orders',
      '{ orders_aggregation(order_by: [{field: "total", direction: DESC}], limit: 3) { _rows_count total { sum } } }',
      { orders_aggregation: { _rows_count: 3, total: { sum: 850.75 } } },
      `SELECT json_build_object('_rows_count', count(*), 'total', json_build_object('sum', sum(total))) AS j
         FROM (SELECT total FROM orders ORDER BY total DESC LIMIT 3) x`,
    ],
    [
      'order_by + offset',
      '{ orders_aggregation(order_by: [{field: "id"}], offset: 6) { _rows_count total { sum } } }',
      { orders_aggregation: { _rows_count: 2, total: { sum: 75.75 } } },
      `SELECT json_build_object('_rows_count', count(*), 'total', json_build_object('sum', sum(total))) AS j
         FROM (SELECT total FROM orders ORDER BY id OFFSET 6) x`,
    ],
    [
      'distinct_on: the largest order per status',
      '{ orders_aggregation(distinct_on: ["status"], order_by: [{field: "status"}, {field: "total", direction: DESC}]) { _rows_count total { sum } } }',
      { orders_aggregation: { _rows_count: 4, total: { sum: 930.24 } } },
      `SELECT json_build_object('_rows_count', count(*), 'total', json_build_object('sum', sum(total))) AS j
         FROM (SELECT DISTINCT ON (status) total FROM orders ORDER BY status, total DESC) x`,
    ],
    [
      'a forward relation aggregates over the joined rows (one per order with a customer)',
      '{ orders_aggregation { customer { name { count } score { count sum } } } }',
      { orders_aggregation: { customer: { name: { count: 7 }, score: { count: 5, sum: 15.5 } } } },
      `SELECT json_build_object('customer', json_build_object('name', json_build_object('count', count(c.full_name)),
         'score', json_build_object('count', count(c.score), 'sum', sum(c.score)))) AS j
         FROM orders o LEFT JOIN customers c ON c.id = o.customer_id`,
    ],
    [
      'a forward relation with a filter on the root',
      '{ orders_aggregation(filter: {status: {eq: "paid"}}) { _rows_count customer { big { sum max } } } }',
      { orders_aggregation: { _rows_count: 3, customer: { big: { sum: 5147483690, max: 3000000000 } } } },
      `SELECT json_build_object('_rows_count', count(*), 'customer', json_build_object('big',
         json_build_object('sum', sum(c.big), 'max', max(c.big)))) AS j
         FROM orders o LEFT JOIN customers c ON c.id = o.customer_id WHERE o.status = 'paid'`,
    ],
  ];
  it.each(cases)('%s', async (_label, query, expected, sql) => checkCase(query, expected, sql));

  it('list(distinct: true) through a forward relation', async () => {
    const body = await c.run(
      '{ orders_aggregation(filter: {status: {eq: "paid"}}) { customer { name { list(distinct: true) } } } }',
    );
    expect(body.errors).toBeUndefined();
    expect(sorted(body.data?.orders_aggregation.customer.name.list)).toEqual([
      'Alice Adams',
      "Bob O'Brien",
      'Dmitri Иванов',
    ]);
  });

  it('filter and limit from variables', async () => {
    expect(
      await sqlJson(`SELECT json_build_object('_rows_count', count(*), 'qty', json_build_object('sum', sum(qty))) AS j
        FROM (SELECT qty FROM orders WHERE status IN ('new', 'shipped') ORDER BY id LIMIT 2) x`),
    ).toEqual({ _rows_count: 2, qty: { sum: 4 } });
    await expectData(
      'query ($f: orders_filter, $l: Int) { orders_aggregation(filter: $f, order_by: [{field: "id"}], limit: $l) { _rows_count qty { sum } } }',
      { orders_aggregation: { _rows_count: 2, qty: { sum: 4 } } },
      { f: { status: { in: ['new', 'shipped'] } }, l: 2 },
    );
  });

  it('aliases: two aggregations of one table with different filters', () =>
    expectData(
      `{ paid: orders_aggregation(filter: {status: {eq: "paid"}}) { _rows_count }
         open: orders_aggregation(filter: {status: {eq: "new"}}) { n: _rows_count t: total { s: sum } } }`,
      { paid: { _rows_count: 3 }, open: { n: 2, t: { s: 160 } } },
    ));

  it('one SQL statement for an aggregation with a forward relation', async () => {
    c.reset();
    const body = await c.run('{ orders_aggregation { _rows_count customer { name { count } } } }');
    expect(body.errors).toBeUndefined();
    expect(c.statements).toHaveLength(1);
  });
});

describe('bucket aggregation', () => {
  type Case = [label: string, query: string, expected: Data, sql: string];
  /** Buckets by status with every total function, as SQL. */
  const byStatus = `SELECT status, count(*) AS n, sum(total) AS s, avg(total) AS a, min(total) AS mi, max(total) AS ma,
      sum(qty) AS q FROM orders GROUP BY status`;
  const statusBucket = (order: string) =>
    `SELECT json_agg(json_build_object('key', json_build_object('status', status),
       'aggregations', json_build_object('_rows_count', n)) ORDER BY ${order}) AS j FROM (${byStatus}) g`;
  const cases: Case[] = [
    [
      'by status, ordered by key.status, with every Float function',
      `{ orders_bucket_aggregation(order_by: [{field: "key.status"}]) {
          key { status } aggregations { _rows_count total { sum avg min max } qty { sum } } } }`,
      {
        orders_bucket_aggregation: [
          {
            key: { status: 'cancelled' },
            aggregations: {
              _rows_count: 1,
              total: { sum: 99.99, avg: 99.99, min: 99.99, max: 99.99 },
              qty: { sum: null },
            },
          },
          {
            key: { status: 'new' },
            aggregations: {
              _rows_count: 2,
              total: { sum: 160, avg: 80, min: 60, max: 100 },
              qty: { sum: 5 },
            },
          },
          {
            key: { status: 'paid' },
            aggregations: {
              _rows_count: 3,
              total: { sum: 386.25, avg: 128.75, min: 15.75, max: 250 },
              qty: { sum: 8 },
            },
          },
          {
            key: { status: 'shipped' },
            aggregations: {
              _rows_count: 2,
              total: { sum: 515.25, avg: 257.625, min: 35, max: 480.25 },
              qty: { sum: 11 },
            },
          },
        ],
      },
      `SELECT json_agg(json_build_object('key', json_build_object('status', status),
         'aggregations', json_build_object('_rows_count', n, 'total', json_build_object('sum', s, 'avg', a, 'min', mi, 'max', ma),
         'qty', json_build_object('sum', q))) ORDER BY status) AS j FROM (${byStatus}) g`,
    ],
    [
      'order_by aggregations.total.sum DESC',
      `{ orders_bucket_aggregation(order_by: [{field: "aggregations.total.sum", direction: DESC}]) {
          key { status } aggregations { total { sum } } } }`,
      {
        orders_bucket_aggregation: [
          { key: { status: 'shipped' }, aggregations: { total: { sum: 515.25 } } },
          { key: { status: 'paid' }, aggregations: { total: { sum: 386.25 } } },
          { key: { status: 'new' }, aggregations: { total: { sum: 160 } } },
          { key: { status: 'cancelled' }, aggregations: { total: { sum: 99.99 } } },
        ],
      },
      `SELECT json_agg(json_build_object('key', json_build_object('status', status),
         'aggregations', json_build_object('total', json_build_object('sum', s))) ORDER BY s DESC) AS j FROM (${byStatus}) g`,
    ],
    [
      'order_by aggregations._rows_count DESC, then key.status',
      `{ orders_bucket_aggregation(order_by: [{field: "aggregations._rows_count", direction: DESC}, {field: "key.status"}]) {
          key { status } aggregations { _rows_count } } }`,
      {
        orders_bucket_aggregation: [
          { key: { status: 'paid' }, aggregations: { _rows_count: 3 } },
          { key: { status: 'new' }, aggregations: { _rows_count: 2 } },
          { key: { status: 'shipped' }, aggregations: { _rows_count: 2 } },
          { key: { status: 'cancelled' }, aggregations: { _rows_count: 1 } },
        ],
      },
      statusBucket('n DESC, status'),
    ],
    [
      'order_by an aggregation that is not selected (total.max DESC)',
      `{ orders_bucket_aggregation(order_by: [{field: "aggregations.total.max", direction: DESC}]) {
          key { status } aggregations { _rows_count } } }`,
      {
        orders_bucket_aggregation: [
          { key: { status: 'shipped' }, aggregations: { _rows_count: 2 } },
          { key: { status: 'paid' }, aggregations: { _rows_count: 3 } },
          { key: { status: 'new' }, aggregations: { _rows_count: 2 } },
          { key: { status: 'cancelled' }, aggregations: { _rows_count: 1 } },
        ],
      },
      statusBucket('ma DESC'),
    ],
    [
      'limit pages the buckets',
      `{ orders_bucket_aggregation(order_by: [{field: "aggregations.total.sum", direction: DESC}], limit: 2) {
          key { status } aggregations { _rows_count } } }`,
      {
        orders_bucket_aggregation: [
          { key: { status: 'shipped' }, aggregations: { _rows_count: 2 } },
          { key: { status: 'paid' }, aggregations: { _rows_count: 3 } },
        ],
      },
      `SELECT json_agg(json_build_object('key', json_build_object('status', status),
         'aggregations', json_build_object('_rows_count', n)) ORDER BY s DESC) AS j
         FROM (SELECT * FROM (${byStatus}) g0 ORDER BY s DESC LIMIT 2) g`,
    ],
    [
      'limit and offset page the buckets',
      `{ orders_bucket_aggregation(order_by: [{field: "aggregations.total.sum", direction: DESC}], limit: 2, offset: 1) {
          key { status } } }`,
      { orders_bucket_aggregation: [{ key: { status: 'paid' } }, { key: { status: 'new' } }] },
      `SELECT json_agg(json_build_object('key', json_build_object('status', status)) ORDER BY s DESC) AS j
         FROM (SELECT * FROM (${byStatus}) g0 ORDER BY s DESC LIMIT 2 OFFSET 1) g`,
    ],
    [
      'a filter on the root applies before grouping',
      `{ orders_bucket_aggregation(filter: {total: {gt: 50}}, order_by: [{field: "key.status"}]) {
          key { status } aggregations { _rows_count } } }`,
      {
        orders_bucket_aggregation: [
          { key: { status: 'cancelled' }, aggregations: { _rows_count: 1 } },
          { key: { status: 'new' }, aggregations: { _rows_count: 2 } },
          { key: { status: 'paid' }, aggregations: { _rows_count: 2 } },
          { key: { status: 'shipped' }, aggregations: { _rows_count: 1 } },
        ],
      },
      `SELECT json_agg(json_build_object('key', json_build_object('status', status),
         'aggregations', json_build_object('_rows_count', n)) ORDER BY status) AS j
         FROM (SELECT status, count(*) AS n FROM orders WHERE total > 50 GROUP BY status) g`,
    ],
    [
      'aliased aggregations with their own filters (a bucket may match none: 0 and null)',
      `{ orders_bucket_aggregation(order_by: [{field: "key.status"}]) {
          key { status }
          all: aggregations { _rows_count }
          big: aggregations(filter: {total: {gte: 100}}) { _rows_count total { sum } } } }`,
      {
        orders_bucket_aggregation: [
          {
            key: { status: 'cancelled' },
            all: { _rows_count: 1 },
            big: { _rows_count: 0, total: { sum: null } },
          },
          { key: { status: 'new' }, all: { _rows_count: 2 }, big: { _rows_count: 1, total: { sum: 100 } } },
          {
            key: { status: 'paid' },
            all: { _rows_count: 3 },
            big: { _rows_count: 2, total: { sum: 370.5 } },
          },
          {
            key: { status: 'shipped' },
            all: { _rows_count: 2 },
            big: { _rows_count: 1, total: { sum: 480.25 } },
          },
        ],
      },
      `SELECT json_agg(json_build_object('key', json_build_object('status', status),
         'all', json_build_object('_rows_count', n), 'big', json_build_object('_rows_count', bn, 'total', json_build_object('sum', bs)))
         ORDER BY status) AS j
         FROM (SELECT status, count(*) AS n, count(*) FILTER (WHERE total >= 100) AS bn,
           sum(total) FILTER (WHERE total >= 100) AS bs FROM orders GROUP BY status) g`,
    ],
    [
      'a nullable key (customer_id), NULL bucket last in ASC order',
      `{ orders_bucket_aggregation(order_by: [{field: "key.customer_id"}]) {
          key { customer_id } aggregations { _rows_count total { sum } } } }`,
      {
        orders_bucket_aggregation: [
          { key: { customer_id: 1 }, aggregations: { _rows_count: 2, total: { sum: 155.5 } } },
          { key: { customer_id: 2 }, aggregations: { _rows_count: 2, total: { sum: 349.99 } } },
          { key: { customer_id: 3 }, aggregations: { _rows_count: 2, total: { sum: 580.25 } } },
          { key: { customer_id: 4 }, aggregations: { _rows_count: 1, total: { sum: 15.75 } } },
          { key: { customer_id: null }, aggregations: { _rows_count: 1, total: { sum: 60 } } },
        ],
      },
      `SELECT json_agg(json_build_object('key', json_build_object('customer_id', customer_id),
         'aggregations', json_build_object('_rows_count', n, 'total', json_build_object('sum', s))) ORDER BY customer_id) AS j
         FROM (SELECT customer_id, count(*) AS n, sum(total) AS s FROM orders GROUP BY customer_id) g`,
    ],
    [
      'a key through a forward relation, ordered by key.customer.name',
      `{ orders_bucket_aggregation(order_by: [{field: "key.customer.name"}]) {
          key { customer { name } } aggregations { _rows_count total { sum } } } }`,
      {
        orders_bucket_aggregation: [
          {
            key: { customer: { name: 'Alice Adams' } },
            aggregations: { _rows_count: 2, total: { sum: 155.5 } },
          },
          {
            key: { customer: { name: "Bob O'Brien" } },
            aggregations: { _rows_count: 2, total: { sum: 349.99 } },
          },
          {
            key: { customer: { name: 'Chloé Dubois' } },
            aggregations: { _rows_count: 2, total: { sum: 580.25 } },
          },
          {
            key: { customer: { name: 'Dmitri Иванов' } },
            aggregations: { _rows_count: 1, total: { sum: 15.75 } },
          },
          { key: { customer: null }, aggregations: { _rows_count: 1, total: { sum: 60 } } },
        ],
      },
      `SELECT json_agg(json_build_object('key', json_build_object('customer',
           CASE WHEN name IS NULL THEN NULL ELSE json_build_object('name', name) END),
         'aggregations', json_build_object('_rows_count', n, 'total', json_build_object('sum', s))) ORDER BY name) AS j
         FROM (SELECT c.full_name AS name, count(*) AS n, sum(o.total) AS s
           FROM orders o LEFT JOIN customers c ON c.id = o.customer_id GROUP BY c.full_name) g`,
    ],
    [
      'two key fields (status and shipped_on) with a filter',
      `{ orders_bucket_aggregation(filter: {status: {in: ["paid", "shipped"]}}, order_by: [{field: "key.status"}, {field: "key.shipped_on"}]) {
          key { status shipped_on } aggregations { _rows_count } } }`,
      {
        orders_bucket_aggregation: [
          { key: { status: 'paid', shipped_on: '2024-03-03' }, aggregations: { _rows_count: 1 } },
          { key: { status: 'paid', shipped_on: null }, aggregations: { _rows_count: 2 } },
          { key: { status: 'shipped', shipped_on: '2024-03-05' }, aggregations: { _rows_count: 1 } },
          { key: { status: 'shipped', shipped_on: '2024-03-12' }, aggregations: { _rows_count: 1 } },
        ],
      },
      `SELECT json_agg(json_build_object('key', json_build_object('status', status, 'shipped_on', shipped_on),
         'aggregations', json_build_object('_rows_count', n)) ORDER BY status, shipped_on) AS j
         FROM (SELECT status, shipped_on, count(*) AS n FROM orders WHERE status IN ('paid', 'shipped')
           GROUP BY status, shipped_on) g`,
    ],
    [
      'an @sql field as the key',
      `{ orders_bucket_aggregation(order_by: [{field: "key.status_label"}]) { key { status_label } aggregations { _rows_count } } }`,
      {
        orders_bucket_aggregation: [
          { key: { status_label: 'CANCELLED' }, aggregations: { _rows_count: 1 } },
          { key: { status_label: 'NEW' }, aggregations: { _rows_count: 2 } },
          { key: { status_label: 'PAID' }, aggregations: { _rows_count: 3 } },
          { key: { status_label: 'SHIPPED' }, aggregations: { _rows_count: 2 } },
        ],
      },
      `SELECT json_agg(json_build_object('key', json_build_object('status_label', l),
         'aggregations', json_build_object('_rows_count', n)) ORDER BY l) AS j
         FROM (SELECT upper(status) AS l, count(*) AS n FROM orders GROUP BY upper(status)) g`,
    ],
    [
      'a forward relation inside the bucket aggregations',
      `{ orders_bucket_aggregation(filter: {customer_id: {is_null: false}}, order_by: [{field: "key.status"}]) {
          key { status } aggregations { customer { score { sum } } } } }`,
      {
        orders_bucket_aggregation: [
          { key: { status: 'cancelled' }, aggregations: { customer: { score: { sum: 3.25 } } } },
          { key: { status: 'new' }, aggregations: { customer: { score: { sum: null } } } },
          { key: { status: 'paid' }, aggregations: { customer: { score: { sum: 7.75 } } } },
          { key: { status: 'shipped' }, aggregations: { customer: { score: { sum: 4.5 } } } },
        ],
      },
      `SELECT json_agg(json_build_object('key', json_build_object('status', status),
         'aggregations', json_build_object('customer', json_build_object('score', json_build_object('sum', s)))) ORDER BY status) AS j
         FROM (SELECT o.status, sum(c.score) AS s FROM orders o LEFT JOIN customers c ON c.id = o.customer_id
           WHERE o.customer_id IS NOT NULL GROUP BY o.status) g`,
    ],
    [
      'no rows → []',
      '{ orders_bucket_aggregation(filter: {status: {eq: "none"}}) { key { status } aggregations { _rows_count } } }',
      { orders_bucket_aggregation: [] },
      `SELECT coalesce(json_agg(status), '[]') AS j FROM orders WHERE status = 'none'`,
    ],
  ];
  it.each(cases)('%s', async (_label, query, expected, sql) => checkCase(query, expected, sql));

  it('without order_by: the same buckets in any order', () =>
    checkUnordered(
      '{ orders_bucket_aggregation { key { status } aggregations { _rows_count total { sum } } } }',
      'orders_bucket_aggregation',
      [
        { key: { status: 'cancelled' }, aggregations: { _rows_count: 1, total: { sum: 99.99 } } },
        { key: { status: 'new' }, aggregations: { _rows_count: 2, total: { sum: 160 } } },
        { key: { status: 'paid' }, aggregations: { _rows_count: 3, total: { sum: 386.25 } } },
        { key: { status: 'shipped' }, aggregations: { _rows_count: 2, total: { sum: 515.25 } } },
      ],
      `SELECT json_agg(json_build_object('key', json_build_object('status', status),
         'aggregations', json_build_object('_rows_count', count, 'total', json_build_object('sum', sum)))) AS j
         FROM (SELECT status, count(*), sum(total) FROM orders GROUP BY status) g`,
    ));

  it('a bucket aggregation from variables (filter, order_by, limit)', async () => {
    expect(
      await sqlJson(`SELECT json_agg(json_build_object('key', json_build_object('status', status),
        'aggregations', json_build_object('_rows_count', n))) AS j FROM (SELECT status, count(*) AS n, sum(qty) AS q
        FROM orders WHERE qty >= 1 GROUP BY status ORDER BY q DESC LIMIT 1) g`),
    ).toEqual([{ key: { status: 'shipped' }, aggregations: { _rows_count: 2 } }]);
    await expectData(
      `query ($f: orders_filter, $o: [OrderByField], $l: Int) {
         orders_bucket_aggregation(filter: $f, order_by: $o, limit: $l) { key { status } aggregations { _rows_count } } }`,
      { orders_bucket_aggregation: [{ key: { status: 'shipped' }, aggregations: { _rows_count: 2 } }] },
      { f: { qty: { gte: 1 } }, o: [{ field: 'aggregations.qty.sum', direction: 'DESC' }], l: 1 },
    );
  });

  it('one SQL statement for a bucket aggregation with three aliased aggregations', async () => {
    c.reset();
    const body = await c.run(`{ orders_bucket_aggregation { key { status customer { name } }
        a: aggregations { _rows_count } b: aggregations(filter: {qty: {gt: 1}}) { qty { sum } }
        d: aggregations(filter: {total: {lt: 100}}) { total { avg } } } }`);
    expect(body.errors).toBeUndefined();
    expect(c.statements).toHaveLength(1);
  });
});

describe('time buckets and extracted parts', () => {
  type Case = [label: string, query: string, expected: Data, sql: string];
  const cases: Case[] = [
    [
      'key created_at(bucket: month) with _created_at_part(extract: year)',
      `{ orders_bucket_aggregation(order_by: [{field: "key.created_at"}]) {
          key { created_at(bucket: month) _created_at_part(extract: year) } aggregations { _rows_count total { sum } } } }`,
      {
        orders_bucket_aggregation: [
          {
            key: { created_at: '2024-03-01T00:00:00Z', _created_at_part: 2024 },
            aggregations: { _rows_count: 7, total: { sum: 1145.74 } },
          },
          {
            key: { created_at: null, _created_at_part: null },
            aggregations: { _rows_count: 1, total: { sum: 15.75 } },
          },
        ],
      },
      `SELECT json_agg(json_build_object('key', json_build_object('created_at', pg_temp.ts(m), '_created_at_part', y),
         'aggregations', json_build_object('_rows_count', n, 'total', json_build_object('sum', s))) ORDER BY m) AS j
         FROM (SELECT date_trunc('month', created_at, 'UTC') AS m, extract(year FROM created_at AT TIME ZONE 'UTC')::bigint AS y,
           count(*) AS n, sum(total) AS s FROM orders GROUP BY 1, 2) g`,
    ],
    [
      'key created_at(bucket: week): weeks start on Monday',
      `{ orders_bucket_aggregation(order_by: [{field: "key.created_at"}]) {
          key { created_at(bucket: week) } aggregations { _rows_count total { sum } } } }`,
      {
        orders_bucket_aggregation: [
          {
            key: { created_at: '2024-02-26T00:00:00Z' },
            aggregations: { _rows_count: 2, total: { sum: 155.5 } },
          },
          {
            key: { created_at: '2024-03-04T00:00:00Z' },
            aggregations: { _rows_count: 4, total: { sum: 930.24 } },
          },
          {
            key: { created_at: '2024-03-11T00:00:00Z' },
            aggregations: { _rows_count: 1, total: { sum: 60 } },
          },
          { key: { created_at: null }, aggregations: { _rows_count: 1, total: { sum: 15.75 } } },
        ],
      },
      `SELECT json_agg(json_build_object('key', json_build_object('created_at', pg_temp.ts(w)),
         'aggregations', json_build_object('_rows_count', n, 'total', json_build_object('sum', s))) ORDER BY w) AS j
         FROM (SELECT date_trunc('week', created_at, 'UTC') AS w, count(*) AS n, sum(total) AS s FROM orders GROUP BY 1) g`,
    ],
    [
      'key created_at(bucket: hour) on two orders',
      `{ orders_bucket_aggregation(filter: {id: {in: [1, 2]}}, order_by: [{field: "key.created_at", direction: DESC}]) {
          key { created_at(bucket: hour) } aggregations { _rows_count } } }`,
      {
        orders_bucket_aggregation: [
          { key: { created_at: '2024-03-02T10:00:00Z' }, aggregations: { _rows_count: 1 } },
          { key: { created_at: '2024-03-01T09:00:00Z' }, aggregations: { _rows_count: 1 } },
        ],
      },
      `SELECT json_agg(json_build_object('key', json_build_object('created_at', pg_temp.ts(h)),
         'aggregations', json_build_object('_rows_count', n)) ORDER BY h DESC) AS j
         FROM (SELECT date_trunc('hour', created_at, 'UTC') AS h, count(*) AS n FROM orders WHERE id IN (1, 2) GROUP BY 1) g`,
    ],
    [
      'key by year and quarter (aliases) with a status',
      `{ orders_bucket_aggregation(filter: {created_at: {is_null: false}}, order_by: [{field: "key.status"}]) {
          key { status y: created_at(bucket: year) q: created_at(bucket: quarter) } aggregations { _rows_count } } }`,
      {
        orders_bucket_aggregation: [
          {
            key: { status: 'cancelled', y: '2024-01-01T00:00:00Z', q: '2024-01-01T00:00:00Z' },
            aggregations: { _rows_count: 1 },
          },
          {
            key: { status: 'new', y: '2024-01-01T00:00:00Z', q: '2024-01-01T00:00:00Z' },
            aggregations: { _rows_count: 2 },
          },
          {
            key: { status: 'paid', y: '2024-01-01T00:00:00Z', q: '2024-01-01T00:00:00Z' },
            aggregations: { _rows_count: 2 },
          },
          {
            key: { status: 'shipped', y: '2024-01-01T00:00:00Z', q: '2024-01-01T00:00:00Z' },
            aggregations: { _rows_count: 2 },
          },
        ],
      },
      `SELECT json_agg(json_build_object('key', json_build_object('status', status, 'y', pg_temp.ts(y), 'q', pg_temp.ts(q)),
         'aggregations', json_build_object('_rows_count', n)) ORDER BY status) AS j
         FROM (SELECT status, date_trunc('year', created_at, 'UTC') AS y, date_trunc('quarter', created_at, 'UTC') AS q,
           count(*) AS n FROM orders WHERE created_at IS NOT NULL GROUP BY 1, 2, 3) g`,
    ],
  ];
  it.each(cases)('%s', async (_label, query, expected, sql) => checkCase(query, expected, sql));

  it('key by dow (Sunday = 0) and iso_dow (Sunday = 7)', () =>
    checkUnordered(
      `{ orders_bucket_aggregation { key { dow: _created_at_part(extract: dow) iso: _created_at_part(extract: iso_dow) }
          aggregations { _rows_count total { sum } } } }`,
      'orders_bucket_aggregation',
      [
        { key: { dow: 0, iso: 7 }, aggregations: { _rows_count: 1, total: { sum: 480.25 } } },
        { key: { dow: 2, iso: 2 }, aggregations: { _rows_count: 2, total: { sum: 310 } } },
        { key: { dow: 4, iso: 4 }, aggregations: { _rows_count: 1, total: { sum: 99.99 } } },
        { key: { dow: 5, iso: 5 }, aggregations: { _rows_count: 1, total: { sum: 120.5 } } },
        { key: { dow: 6, iso: 6 }, aggregations: { _rows_count: 2, total: { sum: 135 } } },
        { key: { dow: null, iso: null }, aggregations: { _rows_count: 1, total: { sum: 15.75 } } },
      ],
      `SELECT json_agg(json_build_object('key', json_build_object('dow', d, 'iso', i),
         'aggregations', json_build_object('_rows_count', n, 'total', json_build_object('sum', s)))) AS j
         FROM (SELECT extract(dow FROM created_at AT TIME ZONE 'UTC')::bigint AS d,
           extract(isodow FROM created_at AT TIME ZONE 'UTC')::bigint AS i, count(*) AS n, sum(total) AS s
           FROM orders GROUP BY 1, 2) g`,
    ));

  it('created_at(bucket: …) on a row truncates', async () => {
    const expected = {
      orders_by_pk: {
        created_at: '2024-03-02T10:15:30Z',
        mi: '2024-03-02T10:15:00Z',
        h: '2024-03-02T10:00:00Z',
        d: '2024-03-02T00:00:00Z',
        w: '2024-02-26T00:00:00Z',
        mo: '2024-03-01T00:00:00Z',
        q: '2024-01-01T00:00:00Z',
        y: '2024-01-01T00:00:00Z',
      },
    };
    const units = { mi: 'minute', h: 'hour', d: 'day', w: 'week', mo: 'month', q: 'quarter', y: 'year' };
    const sqlFields = Object.entries(units)
      .map(([alias, unit]) => `'${alias}', pg_temp.ts(date_trunc('${unit}', created_at, 'UTC'))`)
      .join(', ');
    expect(
      await sqlJson(
        `SELECT json_build_object('created_at', pg_temp.ts(created_at), ${sqlFields}) AS j FROM orders WHERE id = 2`,
      ),
    ).toEqual(expected.orders_by_pk);
    const fields = Object.entries(units)
      .map(([alias, unit]) => `${alias}: created_at(bucket: ${unit})`)
      .join(' ');
    await expectData(`{ orders_by_pk(id: 2) { created_at ${fields} } }`, expected);
  });

  it('_created_at_part(extract: …) on a row extracts every part', async () => {
    const expected = {
      orders_by_pk: {
        epoch: 1709374530,
        minute: 15,
        hour: 10,
        day: 2,
        doy: 62,
        dow: 6,
        iso_dow: 6,
        week: 9,
        month: 3,
        year: 2024,
        iso_year: 2024,
        quarter: 1,
      },
    };
    const pgName: Record<string, string> = { iso_dow: 'isodow', iso_year: 'isoyear' };
    const parts = Object.keys(expected.orders_by_pk);
    const sqlFields = parts
      .map((p) => `'${p}', extract(${pgName[p] ?? p} FROM created_at AT TIME ZONE 'UTC')::bigint`)
      .join(', ');
    expect(await sqlJson(`SELECT json_build_object(${sqlFields}) AS j FROM orders WHERE id = 2`)).toEqual(
      expected.orders_by_pk,
    );
    await expectData(
      `{ orders_by_pk(id: 2) { ${parts.map((p) => `${p}: _created_at_part(extract: ${p})`).join(' ')} } }`,
      expected,
    );
  });

  it('bucket_interval on a row (intervals that divide a day: origin-independent)', () =>
    expectData(
      `{ orders_by_pk(id: 2) { m15: created_at(bucket_interval: "15 minutes") h6: created_at(bucket_interval: "6 hours")
          d1: created_at(bucket_interval: "1 day") } }`,
      {
        orders_by_pk: { m15: '2024-03-02T10:15:00Z', h6: '2024-03-02T06:00:00Z', d1: '2024-03-02T00:00:00Z' },
      },
    ));

  it('bucket_interval as a bucket key', async () => {
    expect(
      await sqlJson(`SELECT json_agg(json_build_object('key', json_build_object('created_at', pg_temp.ts(b)),
        'aggregations', json_build_object('_rows_count', n)) ORDER BY b) AS j
        FROM (SELECT to_timestamp(floor(extract(epoch FROM created_at) / 43200) * 43200) AS b, count(*) AS n
          FROM orders WHERE id IN (1, 2, 5, 6) GROUP BY 1) g`),
    ).toEqual([
      { key: { created_at: '2024-03-01T00:00:00Z' }, aggregations: { _rows_count: 1 } },
      { key: { created_at: '2024-03-02T00:00:00Z' }, aggregations: { _rows_count: 1 } },
      { key: { created_at: '2024-03-09T12:00:00Z' }, aggregations: { _rows_count: 1 } },
      { key: { created_at: '2024-03-10T00:00:00Z' }, aggregations: { _rows_count: 1 } },
    ]);
    await expectData(
      `{ orders_bucket_aggregation(filter: {id: {in: [1, 2, 5, 6]}}, order_by: [{field: "key.created_at"}]) {
          key { created_at(bucket_interval: "12 hours") } aggregations { _rows_count } } }`,
      {
        orders_bucket_aggregation: [
          { key: { created_at: '2024-03-01T00:00:00Z' }, aggregations: { _rows_count: 1 } },
          { key: { created_at: '2024-03-02T00:00:00Z' }, aggregations: { _rows_count: 1 } },
          { key: { created_at: '2024-03-09T12:00:00Z' }, aggregations: { _rows_count: 1 } },
          { key: { created_at: '2024-03-10T00:00:00Z' }, aggregations: { _rows_count: 1 } },
        ],
      },
    );
  });

  it('extract_divide is an integer division (Hugr: EXTRACT(…)::BIGINT / n)', () =>
    expectData(
      `{ orders_by_pk(id: 2) { h: _created_at_part(extract: hour, extract_divide: 6)
          days: _created_at_part(extract: epoch, extract_divide: 86400) m: _created_at_part(extract: minute, extract_divide: 15) } }`,
      { orders_by_pk: { h: 1, days: 19784, m: 1 } },
    ));

  it('a Date field: bucket gives a Date, the part a number', () =>
    expectData(
      `{ orders_by_pk(id: 2) { shipped_on m: shipped_on(bucket: month) w: shipped_on(bucket: week) _shipped_on_part(extract: day)
          dow: _shipped_on_part(extract: dow) } }`,
      {
        orders_by_pk: {
          shipped_on: '2024-03-05',
          m: '2024-03-01',
          w: '2024-03-04',
          _shipped_on_part: 5,
          dow: 2,
        },
      },
    ));

  it('a Date bucket key with aggregated Date min/max', () =>
    expectData(
      `{ orders_bucket_aggregation(filter: {shipped_on: {is_null: false}}) {
          key { shipped_on(bucket: month) } aggregations { _rows_count shipped_on { min max } } } }`,
      {
        orders_bucket_aggregation: [
          {
            key: { shipped_on: '2024-03-01' },
            aggregations: { _rows_count: 3, shipped_on: { min: '2024-03-03', max: '2024-03-12' } },
          },
        ],
      },
    ));

  it('on a list of rows, NULL timestamps give null parts and buckets', () =>
    expectData(
      '{ orders(filter: {id: {in: [6, 7]}}, order_by: [{field: "id"}]) { id created_at(bucket: day) _created_at_part(extract: hour) } }',
      {
        orders: [
          { id: 6, created_at: '2024-03-10T00:00:00Z', _created_at_part: 11 },
          { id: 7, created_at: null, _created_at_part: null },
        ],
      },
    ));

  it('a time bucket on a related row (orders.customer.created_at)', () =>
    expectData(
      '{ orders_by_pk(id: 3) { customer { created_at(bucket: month) _created_at_part(extract: month) } } }',
      {
        orders_by_pk: { customer: { created_at: '2024-02-01T00:00:00Z', _created_at_part: 2 } },
      },
    ));
});

describe('relation aggregations on objects', () => {
  type Case = [label: string, query: string, expected: Data, sql: string];
  const cases: Case[] = [
    [
      'back: customers.orders_aggregation (a customer without orders: 0 and null)',
      '{ customers(order_by: [{field: "id"}]) { id orders_aggregation { _rows_count total { sum max } } } }',
      {
        customers: [
          { id: 1, orders_aggregation: { _rows_count: 2, total: { sum: 155.5, max: 120.5 } } },
          { id: 2, orders_aggregation: { _rows_count: 2, total: { sum: 349.99, max: 250 } } },
          { id: 3, orders_aggregation: { _rows_count: 2, total: { sum: 580.25, max: 480.25 } } },
          { id: 4, orders_aggregation: { _rows_count: 1, total: { sum: 15.75, max: 15.75 } } },
          { id: 5, orders_aggregation: { _rows_count: 0, total: { sum: null, max: null } } },
        ],
      },
      `SELECT json_agg(json_build_object('id', c.id, 'orders_aggregation', json_build_object('_rows_count', a.n,
         'total', json_build_object('sum', a.s, 'max', a.m))) ORDER BY c.id) AS j
         FROM customers c, LATERAL (SELECT count(*) AS n, sum(total) AS s, max(total) AS m FROM orders o WHERE o.customer_id = c.id) a`,
    ],
    [
      'back with a relation filter, aliased twice',
      `{ customers(order_by: [{field: "id"}]) { id
          all: orders_aggregation { _rows_count }
          paid: orders_aggregation(filter: {status: {eq: "paid"}}) { _rows_count total { sum } } } }`,
      {
        customers: [
          { id: 1, all: { _rows_count: 2 }, paid: { _rows_count: 1, total: { sum: 120.5 } } },
          { id: 2, all: { _rows_count: 2 }, paid: { _rows_count: 1, total: { sum: 250 } } },
          { id: 3, all: { _rows_count: 2 }, paid: { _rows_count: 0, total: { sum: null } } },
          { id: 4, all: { _rows_count: 1 }, paid: { _rows_count: 1, total: { sum: 15.75 } } },
          { id: 5, all: { _rows_count: 0 }, paid: { _rows_count: 0, total: { sum: null } } },
        ],
      },
      `SELECT json_agg(json_build_object('id', c.id, 'all', json_build_object('_rows_count', a.n),
         'paid', json_build_object('_rows_count', a.pn, 'total', json_build_object('sum', a.ps))) ORDER BY c.id) AS j
         FROM customers c, LATERAL (SELECT count(*) AS n, count(*) FILTER (WHERE status = 'paid') AS pn,
           sum(total) FILTER (WHERE status = 'paid') AS ps FROM orders o WHERE o.customer_id = c.id) a`,
    ],
    [
      'back with order_by + limit: per parent, the largest order only',
      `{ customers(order_by: [{field: "id"}]) { id
          orders_aggregation(order_by: [{field: "total", direction: DESC}], limit: 1) { _rows_count total { sum } } } }`,
      {
        customers: [
          { id: 1, orders_aggregation: { _rows_count: 1, total: { sum: 120.5 } } },
          { id: 2, orders_aggregation: { _rows_count: 1, total: { sum: 250 } } },
          { id: 3, orders_aggregation: { _rows_count: 1, total: { sum: 480.25 } } },
          { id: 4, orders_aggregation: { _rows_count: 1, total: { sum: 15.75 } } },
          { id: 5, orders_aggregation: { _rows_count: 0, total: { sum: null } } },
        ],
      },
      `SELECT json_agg(json_build_object('id', c.id, 'orders_aggregation', json_build_object('_rows_count', a.n,
         'total', json_build_object('sum', a.s))) ORDER BY c.id) AS j
         FROM customers c, LATERAL (SELECT count(*) AS n, sum(total) AS s FROM
           (SELECT total FROM orders o WHERE o.customer_id = c.id ORDER BY total DESC LIMIT 1) t) a`,
    ],
    [
      'm2m: tags.orders_aggregation (vip has no orders)',
      '{ tags(order_by: [{field: "name"}]) { name orders_aggregation { _rows_count total { sum } qty { sum } } } }',
      {
        tags: [
          { name: 'bulk', orders_aggregation: { _rows_count: 1, total: { sum: 250 }, qty: { sum: 5 } } },
          { name: 'gift', orders_aggregation: { _rows_count: 2, total: { sum: 600.75 }, qty: { sum: 12 } } },
          { name: 'rush', orders_aggregation: { _rows_count: 3, total: { sum: 430.5 }, qty: { sum: 9 } } },
          { name: 'vip', orders_aggregation: { _rows_count: 0, total: { sum: null }, qty: { sum: null } } },
        ],
      },
      `SELECT json_agg(json_build_object('name', t.name, 'orders_aggregation', json_build_object('_rows_count', a.n,
         'total', json_build_object('sum', a.s), 'qty', json_build_object('sum', a.q))) ORDER BY t.name) AS j
         FROM tags t, LATERAL (SELECT count(*) AS n, sum(o.total) AS s, sum(o.qty) AS q
           FROM order_tags ot JOIN orders o ON o.id = ot.order_id WHERE ot.tag_name = t.name) a`,
    ],
    [
      'm2m the other way: orders.tags_aggregation',
      '{ orders(order_by: [{field: "id"}]) { id tags_aggregation { _rows_count name { count } } } }',
      {
        orders: [
          { id: 1, tags_aggregation: { _rows_count: 2, name: { count: 2 } } },
          { id: 2, tags_aggregation: { _rows_count: 0, name: { count: 0 } } },
          { id: 3, tags_aggregation: { _rows_count: 2, name: { count: 2 } } },
          { id: 4, tags_aggregation: { _rows_count: 0, name: { count: 0 } } },
          { id: 5, tags_aggregation: { _rows_count: 0, name: { count: 0 } } },
          { id: 6, tags_aggregation: { _rows_count: 1, name: { count: 1 } } },
          { id: 7, tags_aggregation: { _rows_count: 0, name: { count: 0 } } },
          { id: 8, tags_aggregation: { _rows_count: 1, name: { count: 1 } } },
        ],
      },
      `SELECT json_agg(json_build_object('id', o.id, 'tags_aggregation', json_build_object('_rows_count', a.n,
         'name', json_build_object('count', a.n))) ORDER BY o.id) AS j
         FROM orders o, LATERAL (SELECT count(*) AS n FROM order_tags ot WHERE ot.order_id = o.id) a`,
    ],
    [
      'm2m with a relation filter',
      '{ tags(order_by: [{field: "name"}]) { name orders_aggregation(filter: {status: {eq: "paid"}}) { _rows_count } } }',
      {
        tags: [
          { name: 'bulk', orders_aggregation: { _rows_count: 1 } },
          { name: 'gift', orders_aggregation: { _rows_count: 1 } },
          { name: 'rush', orders_aggregation: { _rows_count: 2 } },
          { name: 'vip', orders_aggregation: { _rows_count: 0 } },
        ],
      },
      `SELECT json_agg(json_build_object('name', t.name, 'orders_aggregation', json_build_object('_rows_count', a.n))
         ORDER BY t.name) AS j
         FROM tags t, LATERAL (SELECT count(*) AS n FROM order_tags ot JOIN orders o ON o.id = ot.order_id
           WHERE ot.tag_name = t.name AND o.status = 'paid') a`,
    ],
    [
      'back bucket: customers.orders_bucket_aggregation by status ([] without orders)',
      `{ customers(order_by: [{field: "id"}]) { id
          orders_bucket_aggregation(order_by: [{field: "key.status"}]) { key { status } aggregations { _rows_count total { sum } } } } }`,
      {
        customers: [
          {
            id: 1,
            orders_bucket_aggregation: [
              { key: { status: 'paid' }, aggregations: { _rows_count: 1, total: { sum: 120.5 } } },
              { key: { status: 'shipped' }, aggregations: { _rows_count: 1, total: { sum: 35 } } },
            ],
          },
          {
            id: 2,
            orders_bucket_aggregation: [
              { key: { status: 'cancelled' }, aggregations: { _rows_count: 1, total: { sum: 99.99 } } },
              { key: { status: 'paid' }, aggregations: { _rows_count: 1, total: { sum: 250 } } },
            ],
          },
          {
            id: 3,
            orders_bucket_aggregation: [
              { key: { status: 'new' }, aggregations: { _rows_count: 1, total: { sum: 100 } } },
              { key: { status: 'shipped' }, aggregations: { _rows_count: 1, total: { sum: 480.25 } } },
            ],
          },
          {
            id: 4,
            orders_bucket_aggregation: [
              { key: { status: 'paid' }, aggregations: { _rows_count: 1, total: { sum: 15.75 } } },
            ],
          },
          { id: 5, orders_bucket_aggregation: [] },
        ],
      },
      `SELECT json_agg(json_build_object('id', c.id, 'orders_bucket_aggregation', b.j) ORDER BY c.id) AS j
         FROM customers c, LATERAL (SELECT coalesce(json_agg(json_build_object('key', json_build_object('status', g.status),
           'aggregations', json_build_object('_rows_count', g.n, 'total', json_build_object('sum', g.s))) ORDER BY g.status), '[]') AS j
           FROM (SELECT status, count(*) AS n, sum(total) AS s FROM orders o WHERE o.customer_id = c.id GROUP BY status) g) b`,
    ],
    [
      'm2m bucket: tags.orders_bucket_aggregation by status',
      `{ tags(order_by: [{field: "name"}]) { name
          orders_bucket_aggregation(order_by: [{field: "key.status"}]) { key { status } aggregations { _rows_count } } } }`,
      {
        tags: [
          {
            name: 'bulk',
            orders_bucket_aggregation: [{ key: { status: 'paid' }, aggregations: { _rows_count: 1 } }],
          },
          {
            name: 'gift',
            orders_bucket_aggregation: [
              { key: { status: 'paid' }, aggregations: { _rows_count: 1 } },
              { key: { status: 'shipped' }, aggregations: { _rows_count: 1 } },
            ],
          },
          {
            name: 'rush',
            orders_bucket_aggregation: [
              { key: { status: 'new' }, aggregations: { _rows_count: 1 } },
              { key: { status: 'paid' }, aggregations: { _rows_count: 2 } },
            ],
          },
          { name: 'vip', orders_bucket_aggregation: [] },
        ],
      },
      `SELECT json_agg(json_build_object('name', t.name, 'orders_bucket_aggregation', b.j) ORDER BY t.name) AS j
         FROM tags t, LATERAL (SELECT coalesce(json_agg(json_build_object('key', json_build_object('status', g.status),
           'aggregations', json_build_object('_rows_count', g.n)) ORDER BY g.status), '[]') AS j
           FROM (SELECT o.status, count(*) AS n FROM order_tags ot JOIN orders o ON o.id = ot.order_id
             WHERE ot.tag_name = t.name GROUP BY o.status) g) b`,
    ],
    [
      'on a by_pk row, with a NULL-only sum',
      '{ customers_by_pk(id: 2) { orders_aggregation { _rows_count qty { count sum } } } }',
      { customers_by_pk: { orders_aggregation: { _rows_count: 2, qty: { count: 1, sum: 5 } } } },
      `SELECT json_build_object('orders_aggregation', json_build_object('_rows_count', count(*),
         'qty', json_build_object('count', count(qty), 'sum', sum(qty)))) AS j FROM orders WHERE customer_id = 2`,
    ],
    [
      'under a forward relation (orders.customer.orders_aggregation; NULL customer → null)',
      `{ orders(filter: {id: {in: [1, 7, 8]}}, order_by: [{field: "id"}]) { id customer { orders_aggregation { _rows_count } } } }`,
      {
        orders: [
          { id: 1, customer: { orders_aggregation: { _rows_count: 2 } } },
          { id: 7, customer: { orders_aggregation: { _rows_count: 1 } } },
          { id: 8, customer: null },
        ],
      },
      `SELECT json_agg(json_build_object('id', o.id, 'customer', CASE WHEN o.customer_id IS NULL THEN NULL ELSE
         json_build_object('orders_aggregation', json_build_object('_rows_count',
           (SELECT count(*) FROM orders x WHERE x.customer_id = o.customer_id))) END) ORDER BY o.id) AS j
         FROM orders o WHERE o.id IN (1, 7, 8)`,
    ],
  ];
  it.each(cases.filter((k) => !unsupportedOn(k[0])))('%s', async (_label, query, expected, sql) =>
    checkCase(query, expected, sql),
  );
  it.skip.each(cases.filter((k) => unsupportedOn(k[0])))('%s', () => undefined);

  itUnless(['mysql'], 'bucket aggregations of relations are not supported on mysql')(
    'relation aggregations use one SQL statement (no query per parent)',
    async () => {
      c.reset();
      const body = await c.run(`{ customers { id orders_aggregation { _rows_count total { sum } }
        orders_bucket_aggregation { key { status } aggregations { _rows_count } } } }`);
      expect(body.errors).toBeUndefined();
      expect(c.statements).toHaveLength(1);
    },
  );
});

describe('generated schema', () => {
  const fieldNames = async (type: string) => {
    const body = await c.run(`{ __type(name: "${type}") { fields { name } } }`);
    expect(body.errors).toBeUndefined();
    return ((body.data?.__type?.fields ?? []) as { name: string }[]).map((f) => f.name).sort();
  };

  it('root fields orders_aggregation / orders_bucket_aggregation and their types', async () => {
    const body = await c.run(
      `{ __schema { queryType { fields { name type { name kind ofType { name } } } } } }`,
    );
    expect(body.errors).toBeUndefined();
    const fields = body.data?.__schema.queryType.fields as { name: string; type: Data }[];
    const agg = fields.find((f) => f.name === 'orders_aggregation');
    const bucket = fields.find((f) => f.name === 'orders_bucket_aggregation');
    expect(agg?.type.name).toBe('_orders_aggregation');
    expect(bucket?.type.kind).toBe('LIST');
    expect(bucket?.type.ofType.name).toBe('_orders_aggregation_bucket');
  });

  it('_orders_aggregation has _rows_count, the fields, parts and the forward relation', async () =>
    expect(await fieldNames('_orders_aggregation')).toEqual(
      expect.arrayContaining([
        '_rows_count',
        'id',
        'customer_id',
        'status',
        'total',
        'qty',
        'created_at',
        'shipped_on',
        'status_label',
        '_created_at_part',
        'customer',
      ]),
    ));

  it('the bucket key is the object type and aggregations the aggregation type', async () => {
    const body = await c.run(
      '{ __type(name: "_orders_aggregation_bucket") { fields { name type { name } } } }',
    );
    expect(body.errors).toBeUndefined();
    const types = Object.fromEntries(
      (body.data?.__type.fields as { name: string; type: { name: string } }[]).map((f) => [
        f.name,
        f.type.name,
      ]),
    );
    expect(types).toEqual({ key: 'orders', aggregations: '_orders_aggregation' });
  });

  it('_orders_aggregation_bucket is { key aggregations }', async () =>
    expect(await fieldNames('_orders_aggregation_bucket')).toEqual(['aggregations', 'key']));

  it('the scalar aggregation types', async () => {
    expect(await fieldNames('IntAggregation')).toEqual(
      ['any', 'avg', 'count', 'last', 'list', 'max', 'min', 'sum'].sort(),
    );
    expect(await fieldNames('FloatAggregation')).toEqual(
      ['any', 'avg', 'count', 'last', 'list', 'max', 'min', 'sum'].sort(),
    );
    expect(await fieldNames('BigIntAggregation')).toEqual(
      ['any', 'avg', 'count', 'last', 'list', 'max', 'min', 'sum'].sort(),
    );
    expect(await fieldNames('StringAggregation')).toEqual(['any', 'count', 'last', 'list', 'string_agg']);
    expect(await fieldNames('BooleanAggregation')).toEqual([
      'any',
      'bool_and',
      'bool_or',
      'count',
      'last',
      'list',
    ]);
    expect(await fieldNames('DateAggregation')).toEqual(['any', 'count', 'last', 'list', 'max', 'min']);
    expect(await fieldNames('TimestampAggregation')).toEqual(['any', 'count', 'last', 'list', 'max', 'min']);
  });

  it('the TimeBucket and TimeExtract enums', async () => {
    const body = await c.run(
      '{ b: __type(name: "TimeBucket") { enumValues { name } } e: __type(name: "TimeExtract") { enumValues { name } } }',
    );
    expect(body.errors).toBeUndefined();
    expect((body.data?.b.enumValues as { name: string }[]).map((v) => v.name).sort()).toEqual(
      ['minute', 'hour', 'day', 'week', 'month', 'quarter', 'year'].sort(),
    );
    expect((body.data?.e.enumValues as { name: string }[]).map((v) => v.name).sort()).toEqual(
      [
        'epoch',
        'minute',
        'hour',
        'day',
        'doy',
        'dow',
        'iso_dow',
        'week',
        'month',
        'year',
        'iso_year',
        'quarter',
      ].sort(),
    );
  });

  it('customers has orders_aggregation and orders_bucket_aggregation; tags too (m2m)', async () => {
    expect(await fieldNames('customers')).toEqual(
      expect.arrayContaining(['orders', 'orders_aggregation', 'orders_bucket_aggregation']),
    );
    expect(await fieldNames('tags')).toEqual(
      expect.arrayContaining(['orders', 'orders_aggregation', 'orders_bucket_aggregation']),
    );
    expect(await fieldNames('orders')).toEqual(expect.arrayContaining(['tags', 'tags_aggregation']));
  });
});

describe('aggregation errors', () => {
  async function expectValidationError(query: string, names: string[]): Promise<void> {
    const { status, body } = await c.request(query);
    expect(status).toBe(200);
    expect(body.data).toBeUndefined();
    expect(body.errors?.length).toBeGreaterThan(0);
    const message = body.errors?.[0].message ?? '';
    for (const n of names) expect(message).toContain(n);
    expectNoSqlText(message);
  }

  it('a function the type does not have (sum on a String)', () =>
    expectValidationError('{ orders_aggregation { status { sum } } }', ['sum']));
  it('bool_and on a number', () =>
    expectValidationError('{ orders_aggregation { total { bool_and } } }', ['bool_and']));
  it('an unknown time bucket', () =>
    expectValidationError('{ orders_aggregation { created_at(bucket: fortnight) { count } } }', [
      'fortnight',
    ]));
  it('_created_at_part without extract', () =>
    expectValidationError('{ orders_bucket_aggregation { key { _created_at_part } } }', ['extract']));
  it('string_agg without sep', () =>
    expectValidationError('{ orders_aggregation { status { string_agg } } }', ['sep']));
  it('a scalar aggregation without a selection', () =>
    expectValidationError('{ orders_aggregation { total } }', ['total']));

  it('order_by an unknown aggregation path: an error naming it, no SQL', async () => {
    const body = await c.run(
      '{ orders_bucket_aggregation(order_by: [{field: "aggregations.nope.sum"}]) { key { status } aggregations { _rows_count } } }',
    );
    expect(body.errors?.length).toBeGreaterThan(0);
    expect(body.errors?.[0].message).toContain('nope');
    expectNoSqlText(body.errors?.[0].message ?? '');
    expect(body.data?.orders_bucket_aggregation ?? null).toBeNull();
  });

  it('the engine keeps answering after errors', () =>
    expectData('{ orders_aggregation(filter: {id: {eq: 1}}) { _rows_count } }', {
      orders_aggregation: { _rows_count: 1 },
    }));
});

describe('aggregations of other data objects and sources', () => {
  it('a parameterised @view: orders_by_status_aggregation(args: …)', async () => {
    expect(
      await sqlJson(`SELECT json_build_object('all', json_build_object('_rows_count', count(*), 'total', json_build_object('sum', sum(total))),
        'big', json_build_object('_rows_count', count(*) FILTER (WHERE total >= 100))) AS j FROM orders WHERE status = 'paid'`),
    ).toEqual({ all: { _rows_count: 3, total: { sum: 386.25 } }, big: { _rows_count: 2 } });
    await expectData(
      `{ all: orders_by_status_aggregation(args: {status: "paid"}) { _rows_count total { sum } }
         big: orders_by_status_aggregation(args: {status: "paid", min_total: 100}) { _rows_count } }`,
      { all: { _rows_count: 3, total: { sum: 386.25 } }, big: { _rows_count: 2 } },
    );
  });

  it('a parameterised @view: bucket aggregation', () =>
    expectData(
      `{ orders_by_status_bucket_aggregation(args: {status: "shipped"}, order_by: [{field: "key.customer_id"}]) {
          key { customer_id } aggregations { total { sum } } } }`,
      {
        orders_by_status_bucket_aggregation: [
          { key: { customer_id: 1 }, aggregations: { total: { sum: 35 } } },
          { key: { customer_id: 3 }, aggregations: { total: { sum: 480.25 } } },
        ],
      },
    ));

  it('a table in a module: { catalog { products_aggregation } } (NULL price skipped)', async () => {
    expect(
      await sqlJson(`SELECT json_build_object('_rows_count', count(*), 'price', json_build_object('count', count(price),
        'sum', sum(price), 'avg', avg(price))) AS j FROM products`),
    ).toEqual({ _rows_count: 3, price: { count: 2, sum: 15.5, avg: 7.75 } });
    await expectData('{ catalog { products_aggregation { _rows_count price { count sum avg } } } }', {
      catalog: { products_aggregation: { _rows_count: 3, price: { count: 2, sum: 15.5, avg: 7.75 } } },
    });
  });

  it('asModule + prefix: { shop { orders_aggregation orders_bucket_aggregation } } with prefixed type names', async () => {
    const shop = await c.engineWith({ name: 'shop', prefix: 'shop', asModule: true });
    const body = JSON.parse(
      (
        await shop.execute({
          query: `{ shop { orders_aggregation(filter: {status: {eq: "new"}}) { __typename _rows_count total { sum } }
            orders_bucket_aggregation(order_by: [{field: "key.status"}], limit: 1) { __typename key { __typename status } } } }`,
        })
      ).body,
    );
    expect(body).toEqual({
      data: {
        shop: {
          orders_aggregation: { __typename: '_shop_orders_aggregation', _rows_count: 2, total: { sum: 160 } },
          orders_bucket_aggregation: [
            {
              __typename: '_shop_orders_aggregation_bucket',
              key: { __typename: 'shop_orders', status: 'cancelled' },
            },
          ],
        },
      },
    });
  });

  it('__typename inside aggregations', () =>
    expectData(
      '{ orders_aggregation(filter: {id: {eq: 1}}) { __typename total { __typename } status { __typename } created_at { __typename } } }',
      {
        orders_aggregation: {
          __typename: '_orders_aggregation',
          total: { __typename: 'FloatAggregation' },
          status: { __typename: 'StringAggregation' },
          created_at: { __typename: 'TimestampAggregation' },
        },
      },
    ));
});

describe('back and many-to-many relations inside a single-row aggregation', () => {
  type Case = [label: string, query: string, expected: Data, sql: string];
  const cases: Case[] = [
    [
      'customers_aggregation { orders { … } } aggregates all related orders',
      '{ customers_aggregation { _rows_count orders { _rows_count total { sum } } } }',
      { customers_aggregation: { _rows_count: 5, orders: { _rows_count: 7, total: { sum: 1101.49 } } } },
      `SELECT json_build_object('_rows_count', (SELECT count(*) FROM customers), 'orders', json_build_object(
         '_rows_count', count(*), 'total', json_build_object('sum', sum(o.total)))) AS j
         FROM customers c JOIN orders o ON o.customer_id = c.id`,
    ],
    [
      'with a filter on the customers and on the relation',
      '{ customers_aggregation(filter: {id: {lte: 2}}) { _rows_count orders(filter: {total: {gt: 50}}) { _rows_count total { sum } } } }',
      { customers_aggregation: { _rows_count: 2, orders: { _rows_count: 3, total: { sum: 470.49 } } } },
      `SELECT json_build_object('_rows_count', (SELECT count(*) FROM customers WHERE id <= 2), 'orders', json_build_object(
         '_rows_count', count(*), 'total', json_build_object('sum', sum(o.total)))) AS j
         FROM customers c JOIN orders o ON o.customer_id = c.id WHERE c.id <= 2 AND o.total > 50`,
    ],
    [
      'orders_aggregation { tags { … } } aggregates the related tags (m2m)',
      '{ orders_aggregation(filter: {status: {eq: "paid"}}) { _rows_count tags { _rows_count } } }',
      { orders_aggregation: { _rows_count: 3, tags: { _rows_count: 4 } } },
      `SELECT json_build_object('_rows_count', (SELECT count(*) FROM orders WHERE status = 'paid'),
         'tags', json_build_object('_rows_count', count(*))) AS j
         FROM orders o JOIN order_tags ot ON ot.order_id = o.id WHERE o.status = 'paid'`,
    ],
  ];
  it.each(cases)('%s', async (_label, query, expected, sql) => checkCase(query, expected, sql));
});

describe('the same aggregation document with other variables (plan cache)', () => {
  const q = `query ($s: String, $min: Float) { orders_bucket_aggregation(filter: {status: {eq: $s}}, order_by: [{field: "key.customer_id"}]) {
      key { customer_id } aggregations(filter: {total: {gte: $min}}) { _rows_count } } }`;
  it('first run', () =>
    expectData(
      q,
      {
        orders_bucket_aggregation: [
          { key: { customer_id: 1 }, aggregations: { _rows_count: 1 } },
          { key: { customer_id: 2 }, aggregations: { _rows_count: 1 } },
          { key: { customer_id: 4 }, aggregations: { _rows_count: 0 } },
        ],
      },
      { s: 'paid', min: 100 },
    ));
  it('second run, other values', () =>
    expectData(
      q,
      {
        orders_bucket_aggregation: [
          { key: { customer_id: 3 }, aggregations: { _rows_count: 1 } },
          { key: { customer_id: null }, aggregations: { _rows_count: 1 } },
        ],
      },
      { s: 'new', min: 0 },
    ));
});

describe('time buckets do not depend on the session time zone (UTC+14)', () => {
  let tz: Conformance;
  let runTz: (query: string) => Promise<unknown>;
  beforeAll(async () => {
    tz = await openConformance();
    const db = new URL(tz.url).pathname.slice(1);
    await tz.sql(`ALTER DATABASE "${db}" SET timezone TO 'Pacific/Kiritimati'`);
    const engine = await tz.engineWith({ name: 'tz' });
    runTz = async (query) => JSON.parse((await engine.execute({ query })).body);
  });
  afterAll(async () => {
    await tz?.close();
  });

  // Order 5 is 2024-03-09T18:45:00Z, i.e. 2024-03-10 08:45 in UTC+14.
  it('on a row: day bucket and day/hour parts are UTC', async () =>
    expect(
      await runTz(
        '{ orders_by_pk(id: 5) { created_at(bucket: day) d: _created_at_part(extract: day) h: _created_at_part(extract: hour) } }',
      ),
    ).toEqual({ data: { orders_by_pk: { created_at: '2024-03-09T00:00:00Z', d: 9, h: 18 } } }));

  it('as a bucket key: orders 4, 5 and 6 fall on three UTC days', async () =>
    expect(
      await runTz(`{ orders_bucket_aggregation(filter: {id: {in: [4, 5, 6]}}, order_by: [{field: "key.created_at"}]) {
          key { created_at(bucket: day) } aggregations { _rows_count } } }`),
    ).toEqual({
      data: {
        orders_bucket_aggregation: [
          { key: { created_at: '2024-03-07T00:00:00Z' }, aggregations: { _rows_count: 1 } },
          { key: { created_at: '2024-03-09T00:00:00Z' }, aggregations: { _rows_count: 1 } },
          { key: { created_at: '2024-03-10T00:00:00Z' }, aggregations: { _rows_count: 1 } },
        ],
      },
    }));

  it('bucket_interval is UTC too (6 hours: 18:45Z → 18:00Z)', async () =>
    expect(await runTz('{ orders_by_pk(id: 5) { created_at(bucket_interval: "6 hours") } }')).toEqual({
      data: { orders_by_pk: { created_at: '2024-03-09T18:00:00Z' } },
    }));

  itUnless(['mysql'], 'bucket aggregations of relations are not supported on mysql')(
    'relation aggregations and buckets by week are UTC (Monday 2024-03-04 for orders 3-6)',
    async () =>
      expect(
        await runTz(
          `{ customers_by_pk(id: 3) { orders_bucket_aggregation { key { created_at(bucket: week) } aggregations { _rows_count } } } }`,
        ),
      ).toEqual({
        data: {
          customers_by_pk: {
            orders_bucket_aggregation: [
              { key: { created_at: '2024-03-04T00:00:00Z' }, aggregations: { _rows_count: 2 } },
            ],
          },
        },
      }),
  );

  it('Timestamp min/max are still UTC with Z', async () =>
    expect(await runTz('{ orders_aggregation { created_at { min max } } }')).toEqual({
      data: {
        orders_aggregation: { created_at: { min: '2024-03-01T09:00:00Z', max: '2024-03-12T07:30:00Z' } },
      },
    }));
});

describe('JSON fields at a path (Hugr JSONAggregation)', () => {
  // attrs by hand: tier on 1, 2, 3, 5 (4 has no attrs); prefs.news true on 1, false on 5.
  const query =
    '{ customers_aggregation { attrs { all: count tiers: count(path: "tier") news: bool_or(path: "prefs.news") } } }';

  it('count, and bool_or at a nested path (cross-checked with SQL)', async () => {
    expect(
      await sqlJson(
        `SELECT json_build_object('all', count(attrs), 'tiers', count(attrs -> 'tier'), 'news', bool_or((attrs #>> '{prefs,news}')::boolean)) AS j FROM customers`,
      ),
    ).toEqual({ all: 4, tiers: 4, news: true });
    await expectData(query, { customers_aggregation: { attrs: { all: 4, tiers: 4, news: true } } });
  });

  it('string_agg and list at a path, per bucket', async () => {
    const body = await c.run(
      `{ customers_bucket_aggregation(order_by: [{field: "key.active"}]) { key { active } aggregations { attrs { tiers: string_agg(path: "$.tier", sep: "|", distinct: true) langs: list(path: "prefs.lang") } } } }`,
    );
    // active false: 2 silver, 5 bronze (no lang); true: 1 gold (en), 3 gold; null: 4 (no attrs).
    // string_agg has no defined order: its parts are compared as a set.
    const buckets = (body.data as Data).customers_bucket_aggregation as Array<{
      key: { active: boolean | null };
      aggregations: { attrs: { tiers: string | null; langs: string[] } };
    }>;
    expect(
      buckets.map((b) => [
        b.key.active,
        b.aggregations.attrs.tiers?.split('|').sort(),
        b.aggregations.attrs.langs,
      ]),
    ).toEqual([
      [false, ['bronze', 'silver'], []],
      [true, ['gold'], ['en']],
      [null, undefined, []],
    ]);
  });
});
