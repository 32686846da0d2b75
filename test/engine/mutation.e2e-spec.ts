/**
 * Conformance of mutations (SPEC §4, Hugr's "Mutations" page): insert (with nested inserts through
 * forward, back and many-to-many relations), update, delete, one transaction per request, @default,
 * errors, read-only sources and views, concurrency.
 *
 * This file opens its own database (openConformance() creates one per call) so the read-only
 * conformance data of the other spec files stays intact, and serves it through a second, writable
 * engine (`readOnly: false`). The tickets table (fixture/mut.sql + mut.graphql) has no database
 * defaults, so every default comes from the catalog's @default.
 *
 * Each test writes rows with ids of its own (noted in its name where it matters) and checks the
 * database with hand-written SQL afterwards. Starting data: see conformance.e2e-spec.ts.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';

import { Engine } from '@app/engine';

import { type Conformance, type Data, FIXTURE_DIR, type GqlBody, openConformance } from './support.js';

const MUT_SQL = readFileSync(resolve(FIXTURE_DIR, 'mut.sql'), 'utf8');
const MUT_MYSQL_SQL = readFileSync(resolve(FIXTURE_DIR, 'mut.mysql.sql'), 'utf8');
const MUT_SDL = readFileSync(resolve(FIXTURE_DIR, 'mut.graphql'), 'utf8');
/** A read-only source with one table, next to the writable one (its types are prefixed `ro_`). */
const RO_SDL = 'type tags @table(name: "tags") { name: String! @pk label: String! }';

let c: Conformance;
let rw: Engine;

beforeAll(async () => {
  c = await openConformance();
  await c.db(c.kind === 'mysql' ? MUT_MYSQL_SQL : MUT_SQL);
  rw = await c.engineWith({ name: 'rw', readOnly: false });
});

afterAll(async () => {
  await c?.close();
});

async function runOn(engine: Engine, query: string, variables?: Record<string, unknown>): Promise<GqlBody> {
  const res = await engine.execute({ query, variables: variables ?? null });
  return JSON.parse(res.body) as GqlBody;
}

const run = (query: string, variables?: Record<string, unknown>) => runOn(rw, query, variables);

async function expectData(query: string, expected: Data, variables?: Record<string, unknown>): Promise<void> {
  expect(await run(query, variables)).toEqual({ data: expected });
}

/**
 * Hand-written SQL on the database the engine writes (PostgreSQL, or MariaDB on the mysql run):
 * `mysqlSql` is MariaDB's spelling where more than the casts differ.
 */
async function db<T extends Record<string, unknown> = Record<string, unknown>>(
  sql: string,
  mysqlSql?: string,
): Promise<T[]> {
  return c.db<T>(c.kind === 'mysql' ? (mysqlSql ?? mysqlCasts(sql)) : sql);
}

/** PostgreSQL's casts of the cross-checks in MariaDB's spelling. */
function mysqlCasts(sql: string): string {
  return sql
    .replace(/::int\b/g, '')
    .replace(/(\w+)::text\b/g, 'CAST($1 AS CHAR)')
    .replace(/(\w+)::float8\b/g, 'CAST($1 AS DOUBLE)');
}

/** JSON columns read back on MariaDB come as text. */
function parsedJson<T extends Record<string, unknown>>(rows: T[], key: keyof T): T[] {
  return rows.map((r) => (typeof r[key] === 'string' ? { ...r, [key]: JSON.parse(r[key]) as unknown } : r));
}

async function count(sql: string): Promise<number> {
  const rows = await db<{ n: number }>(`SELECT count(*)::int AS n FROM ${sql}`);
  return rows[0].n;
}

/** Error messages must not leak generated SQL or a stack trace. */
function expectCleanMessage(message: string): void {
  expect(message).not.toMatch(
    /\bselect\b[\s\S]*\bfrom\b|\binsert into\b|\bupdate\s+"|\bdelete from\b|json_build_object|json_agg|lateral|\$\d/i,
  );
  expect(message).not.toMatch(/\n\s+at\s/);
}

/** A request that fails as a whole: errors, no row data, the message matches every pattern. */
async function expectFailure(
  query: string,
  patterns: RegExp[],
  variables?: Record<string, unknown>,
): Promise<GqlBody> {
  const res = await rw.execute({ query, variables: variables ?? null });
  expect(res.status).toBeLessThan(500);
  const body = JSON.parse(res.body) as GqlBody;
  expect(body.errors?.length).toBeGreaterThan(0);
  // Nothing is reported as written: no data, or every root field null.
  for (const v of Object.values(body.data ?? {})) expect(v).toBeNull();
  const message = body.errors?.map((e) => e.message).join('\n') ?? '';
  for (const p of patterns) expect(message).toMatch(p);
  for (const e of body.errors ?? []) expectCleanMessage(e.message);
  return body;
}

describe('insert', () => {
  it('a row with scalars; the answer is the inserted row with relations (orders 100)', async () => {
    await expectData(
      `mutation { insert_orders(data: {id: 100, customer_id: 1, status: "new", total: 12.5, qty: 1}) {
          id status total qty customer { id name } tags { name } status_label } }`,
      {
        insert_orders: {
          id: 100,
          status: 'new',
          total: 12.5,
          qty: 1,
          customer: { id: 1, name: 'Alice Adams' },
          tags: [],
          status_label: 'NEW',
        },
      },
    );
    expect(
      await db('SELECT customer_id, status, total::float8 AS total, qty FROM orders WHERE id = 100'),
    ).toEqual([{ customer_id: 1, status: 'new', total: 12.5, qty: 1 }]);
  });

  it('Timestamp with an offset, Date, JSON and NULL values (orders 101)', async () => {
    await expectData(
      `mutation { insert_orders(data: {id: 101, status: "paid", total: 99.95, created_at: "2024-04-01T12:00:00+02:00",
          shipped_on: "2024-04-02", meta: {gift: true, items: [{sku: "A1", n: 2}]}}) {
          id created_at shipped_on meta qty customer_id customer { id } } }`,
      {
        insert_orders: {
          id: 101,
          created_at: '2024-04-01T10:00:00Z',
          shipped_on: '2024-04-02',
          meta: { gift: true, items: [{ sku: 'A1', n: 2 }] },
          qty: null,
          customer_id: null,
          customer: null,
        },
      },
    );
    expect(
      parsedJson(
        await db(
          `SELECT created_at = '2024-04-01T10:00:00Z' AS ts, shipped_on::text AS d, meta, total::text AS total, qty
             FROM orders WHERE id = 101`,
          `SELECT created_at = '2024-04-01 10:00:00' AS ts, CAST(shipped_on AS CHAR) AS d, meta,
             CAST(total AS CHAR) AS total, qty FROM orders WHERE id = 101`,
        ),
        'meta',
      ),
    ).toEqual([
      {
        ts: true,
        d: '2024-04-02',
        meta: { gift: true, items: [{ sku: 'A1', n: 2 }] },
        total: '99.95',
        qty: null,
      },
    ]);
  });

  it('data from a variable (orders 102)', async () => {
    await expectData(
      'mutation ($d: orders_mut_input_data!) { insert_orders(data: $d) { id status total } }',
      { insert_orders: { id: 102, status: 'it\'s "quoted"', total: 7 } },
      { d: { id: 102, customer_id: 2, status: 'it\'s "quoted"', total: 7 } },
    );
    expect(await db('SELECT status, customer_id FROM orders WHERE id = 102')).toEqual([
      { status: 'it\'s "quoted"', customer_id: 2 },
    ]);
  });

  it('a @field_source field is written to its column (customers 103)', async () => {
    await expectData(
      'mutation { insert_customers(data: {id: 103, name: "Field Source"}) { id name upper_name } }',
      {
        insert_customers: { id: 103, name: 'Field Source', upper_name: 'FIELD SOURCE' },
      },
    );
    expect(await db('SELECT full_name, email FROM customers WHERE id = 103')).toEqual([
      { full_name: 'Field Source', email: null },
    ]);
  });

  it('nested forward: the customer is inserted first and customer_id is set (orders 103, customers 100)', async () => {
    await expectData(
      `mutation { insert_orders(data: {id: 103, status: "new", total: 1, customer: {id: 100, name: "New Co"}}) {
          id customer_id customer { id name orders { id } } } }`,
      {
        insert_orders: {
          id: 103,
          customer_id: 100,
          customer: { id: 100, name: 'New Co', orders: [{ id: 103 }] },
        },
      },
    );
    expect(await db('SELECT full_name FROM customers WHERE id = 100')).toEqual([{ full_name: 'New Co' }]);
    expect(await db('SELECT customer_id FROM orders WHERE id = 103')).toEqual([{ customer_id: 100 }]);
  });

  it('nested back: the children get the parent key (customers 101, orders 110-111)', async () => {
    await expectData(
      `mutation { insert_customers(data: {id: 101, name: "Back Co", orders: [
            {id: 110, status: "a", total: 2}, {id: 111, status: "b", total: 3.5}]}) {
          id name orders(order_by: [{field: "id"}]) { id status total customer_id } } }`,
      {
        insert_customers: {
          id: 101,
          name: 'Back Co',
          orders: [
            { id: 110, status: 'a', total: 2, customer_id: 101 },
            { id: 111, status: 'b', total: 3.5, customer_id: 101 },
          ],
        },
      },
    );
    expect(await db('SELECT id FROM orders WHERE customer_id = 101 ORDER BY id')).toEqual([
      { id: 110 },
      { id: 111 },
    ]);
  });

  it('nested many-to-many: the tag and the junction row (orders 120, tag t9)', async () => {
    await expectData(
      `mutation { insert_orders(data: {id: 120, status: "new", total: 5, tags: [{name: "t9", label: "T9"}]}) {
          id tags { name label orders { id } } } }`,
      { insert_orders: { id: 120, tags: [{ name: 't9', label: 'T9', orders: [{ id: 120 }] }] } },
    );
    expect(await db("SELECT label FROM tags WHERE name = 't9'")).toEqual([{ label: 'T9' }]);
    expect(await db('SELECT tag_name FROM order_tags WHERE order_id = 120')).toEqual([{ tag_name: 't9' }]);
  });

  it('nested two levels: customer → orders → tags (customers 102, orders 130, tags t10, t11)', async () => {
    await expectData(
      `mutation { insert_customers(data: {id: 102, name: "Deep", orders: [{id: 130, status: "new", total: 7,
            tags: [{name: "t10", label: "T10"}, {name: "t11", label: "T11"}]}]}) {
          id orders { id customer_id tags(order_by: [{field: "name"}]) { name } } } }`,
      {
        insert_customers: {
          id: 102,
          orders: [{ id: 130, customer_id: 102, tags: [{ name: 't10' }, { name: 't11' }] }],
        },
      },
    );
    expect(await db('SELECT tag_name FROM order_tags WHERE order_id = 130 ORDER BY tag_name')).toEqual([
      { tag_name: 't10' },
      { tag_name: 't11' },
    ]);
  });

  it('the inserted row sees existing related rows and their aggregations (orders 140)', async () => {
    await expectData(
      `mutation { insert_orders(data: {id: 140, customer_id: 4, status: "paid", total: 4.25}) {
          id customer { name orders_aggregation { _rows_count total { sum } } } } }`,
      {
        insert_orders: {
          id: 140,
          customer: { name: 'Dmitri Иванов', orders_aggregation: { _rows_count: 2, total: { sum: 20 } } },
        },
      },
    );
  });

  it('insert into the m2m junction returns an OperationResult (order 2 + bulk)', async () => {
    const body = await run(
      'mutation { insert_order_tags(data: {order_id: 2, tag_name: "bulk"}) { success affected_rows } }',
    );
    expect(body).toEqual({ data: { insert_order_tags: { success: true, affected_rows: 1 } } });
    await expectData('{ orders_by_pk(id: 2) { tags { name } } }', {
      orders_by_pk: { tags: [{ name: 'bulk' }] },
    });
  });

  it('a later field sees an earlier one in the same request (customers 110, orders 150)', async () => {
    await expectData(
      `mutation {
          a: insert_customers(data: {id: 110, name: "Seq"}) { id }
          b: insert_orders(data: {id: 150, customer_id: 110, status: "new", total: 1}) { id customer { name } } }`,
      { a: { id: 110 }, b: { id: 150, customer: { name: 'Seq' } } },
    );
  });

  it('a table in a module: mutation { catalog { insert_products } }', async () => {
    await expectData(
      'mutation { catalog { insert_products(data: {id: 10, sku: "D4", name: "Drum"}) { id sku price } } }',
      {
        catalog: { insert_products: { id: 10, sku: 'D4', price: null } },
      },
    );
    expect(await db('SELECT name FROM products WHERE id = 10')).toEqual([{ name: 'Drum' }]);
  });
});

describe('update', () => {
  it('one row by pk (order 7)', async () => {
    const body = await run(
      'mutation { update_orders(filter: {id: {eq: 7}}, data: {status: "refunded", total: 0.5}) { success affected_rows } }',
    );
    expect(body).toEqual({ data: { update_orders: { success: true, affected_rows: 1 } } });
    expect(await db('SELECT status, total::text AS total, qty FROM orders WHERE id = 7')).toEqual([
      { status: 'refunded', total: '0.50', qty: 1 },
    ]);
  });

  it('several rows (customer 3: orders 5 and 6); other rows untouched', async () => {
    const body = await run(
      'mutation { update_orders(filter: {customer_id: {eq: 3}}, data: {shipped_on: "2024-04-01"}) { success affected_rows message } }',
    );
    expect(body.errors).toBeUndefined();
    expect(body.data?.update_orders.success).toBe(true);
    expect(body.data?.update_orders.affected_rows).toBe(2);
    expect(['string', 'object']).toContain(typeof body.data?.update_orders.message);
    expect(await db("SELECT id FROM orders WHERE shipped_on = '2024-04-01' ORDER BY id")).toEqual([
      { id: 5 },
      { id: 6 },
    ]);
    expect(await db('SELECT shipped_on::text AS d FROM orders WHERE id = 1')).toEqual([{ d: '2024-03-03' }]);
  });

  it('a filter through a forward relation (Bob: orders 3 and 4)', async () => {
    const body = await run(
      `mutation { update_orders(filter: {customer: {name: {eq: "Bob O'Brien"}}, id: {lte: 8}}, data: {qty: 9}) { affected_rows } }`,
    );
    expect(body).toEqual({ data: { update_orders: { affected_rows: 2 } } });
    expect(await db('SELECT id FROM orders WHERE qty = 9 ORDER BY id')).toEqual([{ id: 3 }, { id: 4 }]);
  });

  it('JSON and Timestamp values (order 2)', async () => {
    const body = await run(
      `mutation { update_orders(filter: {id: {eq: 2}}, data: {meta: {gift: true, note: "x"}, created_at: "2024-05-01T00:00:00-03:00"}) {
          affected_rows } }`,
    );
    expect(body).toEqual({ data: { update_orders: { affected_rows: 1 } } });
    await expectData('{ orders_by_pk(id: 2) { meta created_at } }', {
      orders_by_pk: { meta: { gift: true, note: 'x' }, created_at: '2024-05-01T03:00:00Z' },
    });
  });

  it('a @field_source field (customer 5)', async () => {
    const body = await run(
      'mutation { update_customers(filter: {id: {eq: 5}}, data: {name: "Eve Renamed"}) { affected_rows } }',
    );
    expect(body).toEqual({ data: { update_customers: { affected_rows: 1 } } });
    expect(await db('SELECT full_name FROM customers WHERE id = 5')).toEqual([{ full_name: 'Eve Renamed' }]);
  });

  it('no matching row: success with 0 affected rows', async () => {
    const body = await run(
      'mutation { update_orders(filter: {id: {eq: 9999}}, data: {status: "x"}) { success affected_rows } }',
    );
    expect(body).toEqual({ data: { update_orders: { success: true, affected_rows: 0 } } });
  });

  it('data and filter from variables', async () => {
    const body = await run(
      'mutation ($f: orders_filter, $d: orders_mut_data!) { update_orders(filter: $f, data: $d) { affected_rows } }',
      { f: { id: { in: [1000001, 1000002] } }, d: { qty: 1 } },
    );
    expect(body).toEqual({ data: { update_orders: { affected_rows: 0 } } });
  });
});

describe('delete', () => {
  it('a row referenced by a junction row: foreign-key error, nothing deleted (order 8)', async () => {
    const body = await expectFailure('mutation { delete_orders(filter: {id: {eq: 8}}) { affected_rows } }', [
      /order_tags_order_id_fkey|foreign key/,
    ]);
    expect(body.errors?.[0].path).toEqual(['delete_orders']);
    expect(await count('orders WHERE id = 8')).toBe(1);
  });

  it('the junction rows first, then the order, in one request (order 8)', async () => {
    await expectData(
      `mutation { a: delete_order_tags(filter: {order_id: {eq: 8}}) { success affected_rows }
          b: delete_orders(filter: {id: {eq: 8}}) { success affected_rows } }`,
      { a: { success: true, affected_rows: 1 }, b: { success: true, affected_rows: 1 } },
    );
    expect(await count('orders WHERE id = 8')).toBe(0);
    expect(await count('order_tags WHERE order_id = 8')).toBe(0);
  });

  it('a tag without orders (vip)', async () => {
    await expectData('mutation { delete_tags(filter: {name: {eq: "vip"}}) { success affected_rows } }', {
      delete_tags: { success: true, affected_rows: 1 },
    });
    expect(await count("tags WHERE name = 'vip'")).toBe(0);
  });

  it('no matching row: 0 affected rows', async () =>
    expectData('mutation { delete_orders(filter: {status: {eq: "nope"}}) { success affected_rows } }', {
      delete_orders: { success: true, affected_rows: 0 },
    }));
});

describe('one transaction per request', () => {
  it('a duplicate key in the second insert rolls back the first (tag tx1)', async () => {
    await expectFailure(
      `mutation { a: insert_tags(data: {name: "tx1", label: "TX"}) { name }
          b: insert_tags(data: {name: "gift", label: "dup"}) { name } }`,
      [/tags_pkey|duplicate key/],
    );
    expect(await count("tags WHERE name = 'tx1'")).toBe(0);
    expect(await db("SELECT label FROM tags WHERE name = 'gift'")).toEqual([{ label: 'Gift wrap' }]);
  });

  it('an update before a failing insert is rolled back (order 1)', async () => {
    await expectFailure(
      `mutation { u: update_orders(filter: {id: {eq: 1}}, data: {status: "changed"}) { affected_rows }
          i: insert_orders(data: {id: 1, status: "x", total: 1}) { id } }`,
      [/orders_pkey|duplicate key/],
    );
    expect(await db('SELECT status FROM orders WHERE id = 1')).toEqual([{ status: 'paid' }]);
  });

  it('a NOT NULL violation in the last field rolls back the others (customers 300, orders 301-302)', async () => {
    await expectFailure(
      `mutation { a: insert_customers(data: {id: 300, name: "Gone"}) { id }
          b: insert_orders(data: {id: 301, customer_id: 300, status: "new", total: 1}) { id }
          c: insert_orders(data: {id: 302, total: 1}) { id } }`,
      [/status/, /null/i],
    );
    expect(await count('customers WHERE id = 300')).toBe(0);
    expect(await count('orders WHERE id IN (301, 302)')).toBe(0);
  });

  it('a failing nested insert leaves none of its parts (orders 310 with an existing tag)', async () => {
    await expectFailure(
      `mutation { insert_orders(data: {id: 310, status: "new", total: 1, customer: {id: 311, name: "Half"},
          tags: [{name: "rush", label: "again"}]}) { id } }`,
      [/tags_pkey|duplicate key/],
    );
    expect(await count('orders WHERE id = 310')).toBe(0);
    expect(await count('customers WHERE id = 311')).toBe(0);
    expect(await db("SELECT label FROM tags WHERE name = 'rush'")).toEqual([{ label: 'Rush delivery' }]);
  });

  it('a delete before a failing update is rolled back (order 5)', async () => {
    await expectFailure(
      `mutation { d: delete_orders(filter: {id: {eq: 5}}) { affected_rows }
          u: update_orders(filter: {id: {eq: 6}}, data: {customer_id: 999}) { affected_rows } }`,
      [/orders_customer_id_fkey|foreign key/],
    );
    expect(await count('orders WHERE id = 5')).toBe(1);
    expect(await db('SELECT customer_id FROM orders WHERE id = 6')).toEqual([{ customer_id: 3 }]);
  });
});

describe('bad input', () => {
  it('a value of the wrong type: validation error, nothing written', async () => {
    const body = await expectFailure(
      'mutation { insert_orders(data: {id: "abc", status: "x", total: 1}) { id } }',
      [/Int/],
    );
    expect(body.data).toBeUndefined();
  });

  it('a wrong type in a variable', async () => {
    const body = await expectFailure(
      'mutation ($d: orders_mut_input_data!) { insert_orders(data: $d) { id } }',
      [/total|Float/],
      { d: { id: 400, status: 'x', total: 'lots' } },
    );
    expect(body.data).toBeUndefined();
    expect(await count('orders WHERE id = 400')).toBe(0);
  });

  it('an Int out of 32-bit range', async () => {
    await expectFailure(
      'mutation { insert_orders(data: {id: 401, status: "x", total: 1, qty: 3000000000}) { id } }',
      [/Int/],
    );
    expect(await count('orders WHERE id = 401')).toBe(0);
  });

  it('insert without the required data argument', async () => {
    const body = await expectFailure('mutation { insert_orders { id } }', [
      /"?data"?/,
      /required|not provided/i,
    ]);
    expect(body.data).toBeUndefined();
  });

  it('update without the required data argument', async () => {
    const body = await expectFailure('mutation { update_orders(filter: {id: {eq: 1}}) { affected_rows } }', [
      /"?data"?/,
    ]);
    expect(body.data).toBeUndefined();
  });

  it('an unknown input field', async () => {
    const body = await expectFailure(
      'mutation { insert_orders(data: {id: 402, status: "x", total: 1, nope: 1}) { id } }',
      [/nope/],
    );
    expect(body.data).toBeUndefined();
  });

  it('a computed (@sql) field is not in the input type', async () => {
    const body = await expectFailure(
      'mutation { insert_orders(data: {id: 403, status: "x", total: 1, status_label: "X"}) { id } }',
      [/status_label/],
    );
    expect(body.data).toBeUndefined();
    expect(await count('orders WHERE id = 403')).toBe(0);
  });

  it('relations are not in the update input type', async () => {
    const body = await expectFailure(
      'mutation { update_orders(filter: {id: {eq: 1}}, data: {customer: {id: 1, name: "x"}}) { affected_rows } }',
      [/customer/],
    );
    expect(body.data).toBeUndefined();
  });

  it('a NOT NULL violation names the column', async () => {
    const body = await expectFailure('mutation { insert_orders(data: {id: 404, total: 1}) { id } }', [
      /"?status"?/,
      /null/i,
    ]);
    expect(body.errors?.[0].path).toEqual(['insert_orders']);
    expect(await count('orders WHERE id = 404')).toBe(0);
  });

  it('a unique violation names the constraint', async () => {
    const body = await expectFailure(
      'mutation { insert_customers(data: {id: 405, name: "Dup", email: "alice@example.com"}) { id } }',
      [/customers_email_key/],
    );
    expect(body.errors?.[0].path).toEqual(['insert_customers']);
    expect(await count('customers WHERE id = 405')).toBe(0);
  });

  it('a duplicate primary key names the constraint', async () => {
    await expectFailure('mutation { insert_tags(data: {name: "gift", label: "x"}) { name } }', [/tags_pkey/]);
  });

  it('a foreign-key violation names the constraint', async () => {
    const body = await expectFailure(
      'mutation { insert_orders(data: {id: 406, customer_id: 999, status: "x", total: 1}) { id } }',
      [/orders_customer_id_fkey/],
    );
    expect(body.errors?.[0].path).toEqual(['insert_orders']);
    expect(await count('orders WHERE id = 406')).toBe(0);
  });

  it('a NUMERIC overflow keeps PostgreSQL message', async () => {
    await expectFailure('mutation { insert_orders(data: {id: 407, status: "x", total: 1e12}) { id } }', [
      /numeric field overflow/,
    ]);
    expect(await count('orders WHERE id = 407')).toBe(0);
  });

  it('an explicit null for a NOT NULL column in an update leaves the row as it was (order 3)', async () => {
    const body = await run(
      'mutation { update_orders(filter: {id: {eq: 3}}, data: {status: null}) { affected_rows } }',
    );
    for (const e of body.errors ?? []) expectCleanMessage(e.message);
    expect(await db('SELECT status FROM orders WHERE id = 3')).toEqual([{ status: 'paid' }]);
  });

  it('the engine keeps answering after errors', () =>
    expectData('{ orders_by_pk(id: 1) { id status } }', { orders_by_pk: { id: 1, status: 'paid' } }));
});

describe('read-only sources and views have no mutations', () => {
  it('a read-only source: no mutation type fields, a mutation is rejected and writes nothing', async () => {
    const schema = await c.run('{ __schema { mutationType { fields { name } } } }');
    expect(schema.errors).toBeUndefined();
    expect(schema.data?.__schema.mutationType?.fields ?? []).toEqual([]);
    const { status, body } = await c.request(
      'mutation { insert_orders(data: {id: 500, status: "x", total: 1}) { id } }',
    );
    expect(status).toBeLessThan(500);
    expect(body.data ?? null).toBeNull();
    expect(body.errors?.length).toBeGreaterThan(0);
    expect(await count('orders WHERE id = 500')).toBe(0);
  });

  it('a read-only source next to a writable one: its mutation fields do not exist', async () => {
    const engine = await Engine.create([
      c.source({ name: 'w2', readOnly: false }),
      c.source({
        name: 'ro',
        prefix: 'ro',
        readOnly: true,
        catalogs: [{ name: 'ro', type: 'text', path: RO_SDL }],
      }),
    ]);
    try {
      expect(engine.statuses.every((s) => s.ok)).toBe(true);
      const schema = await runOn(engine, '{ __schema { mutationType { fields { name } } } }');
      const names = (schema.data?.__schema.mutationType.fields as { name: string }[]).map((f) => f.name);
      expect(names).toEqual(expect.arrayContaining(['insert_orders', 'update_orders', 'delete_orders']));
      expect(names.filter((n) => n.includes('ro_'))).toEqual([]);
      const body = await runOn(
        engine,
        'mutation { insert_ro_tags(data: {name: "ro1", label: "x"}) { name } }',
      );
      expect(body.data).toBeUndefined();
      expect(body.errors?.[0].message).toContain('insert_ro_tags');
      expect(await count("tags WHERE name = 'ro1'")).toBe(0);
    } finally {
      await engine.close();
    }
  });

  it('the generated mutation fields of the writable source, and none for the @view', async () => {
    const schema = await run('{ __schema { mutationType { name fields { name } } } }');
    expect(schema.errors).toBeUndefined();
    expect(schema.data?.__schema.mutationType.name).toBe('Mutation');
    const names = (schema.data?.__schema.mutationType.fields as { name: string }[]).map((f) => f.name);
    expect(names).toEqual(
      expect.arrayContaining([
        'insert_orders',
        'update_orders',
        'delete_orders',
        'insert_customers',
        'update_customers',
        'delete_customers',
        'insert_tags',
        'insert_order_tags',
        'delete_order_tags',
      ]),
    );
    expect(names.filter((n) => n.includes('orders_by_status'))).toEqual([]);
  });

  it('a mutation on a @view is a validation error naming the field', async () => {
    const body = await expectFailure(
      'mutation { insert_orders_by_status(data: {id: 1, status: "x"}) { id } }',
      [/insert_orders_by_status/],
    );
    expect(body.data).toBeUndefined();
    const del = await expectFailure('mutation { delete_orders_by_status(filter: {}) { affected_rows } }', [
      /delete_orders_by_status/,
    ]);
    expect(del.data).toBeUndefined();
  });

  it('the input and result types', async () => {
    const body = await run(`{
        i: __type(name: "orders_mut_input_data") { inputFields { name } }
        u: __type(name: "orders_mut_data") { inputFields { name } }
        r: __type(name: "OperationResult") { fields { name } } }`);
    expect(body.errors).toBeUndefined();
    const names = (xs: { name: string }[]) => xs.map((x) => x.name).sort();
    expect(names(body.data?.i.inputFields)).toEqual(
      [
        'id',
        'customer_id',
        'status',
        'total',
        'qty',
        'created_at',
        'shipped_on',
        'meta',
        'customer',
        'tags',
      ].sort(),
    );
    expect(names(body.data?.u.inputFields)).toEqual(
      ['id', 'customer_id', 'status', 'total', 'qty', 'created_at', 'shipped_on', 'meta'].sort(),
    );
    expect(names(body.data?.r.fields)).toEqual(
      expect.arrayContaining(['success', 'affected_rows', 'message']),
    );
  });
});

describe('@default', () => {
  let tk: Engine;
  beforeAll(async () => {
    tk = await c.engineWith({
      name: 'tickets',
      readOnly: false,
      catalogs: [{ name: 'mut', type: 'text', path: MUT_SDL }],
    });
  });

  it('an insert without the fields uses sequence, value and insert_exp defaults', async () => {
    const body = await runOn(
      tk,
      'mutation { insert_tickets(data: {title: "first"}) { id title state priority created_at updated_at } }',
    );
    expect(body.errors).toBeUndefined();
    const t = body.data?.insert_tickets;
    expect(t).toEqual({
      id: 1000,
      title: 'first',
      state: 'open',
      priority: 3,
      created_at: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/),
      updated_at: t?.created_at,
    });
    expect(
      await db(
        `SELECT state, priority, created_at = updated_at AS same,
          abs(extract(epoch FROM now() - created_at)) < 300 AS recent FROM tickets WHERE id = 1000`,
        `SELECT state, priority, created_at = updated_at AS same,
          ABS(TIMESTAMPDIFF(SECOND, created_at, UTC_TIMESTAMP(6))) < 300 AS recent FROM tickets WHERE id = 1000`,
      ),
    ).toEqual([{ state: 'open', priority: 3, same: true, recent: true }]);
  });

  it('the sequence advances', async () => {
    const body = await runOn(tk, 'mutation { insert_tickets(data: {title: "second"}) { id } }');
    expect(body).toEqual({ data: { insert_tickets: { id: 1001 } } });
  });

  it('given values win over value and sequence defaults', async () => {
    const body = await runOn(
      tk,
      'mutation { insert_tickets(data: {id: 5, title: "given", state: "closed", priority: 1}) { id state priority } }',
    );
    expect(body).toEqual({ data: { insert_tickets: { id: 5, state: 'closed', priority: 1 } } });
    expect(await db('SELECT state, priority FROM tickets WHERE id = 5')).toEqual([
      { state: 'closed', priority: 1 },
    ]);
  });

  it('an update applies update_exp and leaves insert-only fields alone', async () => {
    await db(
      "UPDATE tickets SET created_at = '2000-01-01T00:00:00Z', updated_at = '2000-01-01T00:00:00Z' WHERE id = 5",
      "UPDATE tickets SET created_at = '2000-01-01 00:00:00', updated_at = '2000-01-01 00:00:00' WHERE id = 5",
    );
    const body = await runOn(
      tk,
      'mutation { update_tickets(filter: {id: {eq: 5}}, data: {title: "renamed"}) { success affected_rows } }',
    );
    expect(body).toEqual({ data: { update_tickets: { success: true, affected_rows: 1 } } });
    expect(
      await db(
        `SELECT title, state, created_at = '2000-01-01T00:00:00Z' AS created_kept,
          abs(extract(epoch FROM now() - updated_at)) < 300 AS updated_now FROM tickets WHERE id = 5`,
        `SELECT title, state, created_at = '2000-01-01 00:00:00' AS created_kept,
          ABS(TIMESTAMPDIFF(SECOND, updated_at, UTC_TIMESTAMP(6))) < 300 AS updated_now FROM tickets WHERE id = 5`,
      ),
    ).toEqual([{ title: 'renamed', state: 'closed', created_kept: true, updated_now: true }]);
  });

  it('two inserts in one request take consecutive sequence values', async () => {
    const body = await runOn(
      tk,
      `mutation { a: insert_tickets(data: {title: "x"}) { id } b: insert_tickets(data: {title: "y"}) { id } }`,
    );
    expect(body).toEqual({ data: { a: { id: 1002 }, b: { id: 1003 } } });
  });
});

describe('soft delete and tables without a primary key', () => {
  let tk: Engine;
  beforeAll(async () => {
    tk = await c.engineWith({
      name: 'soft',
      readOnly: false,
      catalogs: [{ name: 'mut', type: 'text', path: MUT_SDL }],
    });
  });

  it('delete on a soft_delete table marks the rows and keeps them', async () => {
    const body = await runOn(
      tk,
      'mutation { delete_notes(filter: {id: {in: [1, 2]}}) { success affected_rows } }',
    );
    expect(body).toEqual({ data: { delete_notes: { success: true, affected_rows: 2 } } });
    expect(await db('SELECT id, deleted_at IS NOT NULL AS deleted FROM notes ORDER BY id')).toEqual([
      { id: 1, deleted: true },
      { id: 2, deleted: true },
      { id: 3, deleted: false },
    ]);
  });

  it('a second soft delete of the same rows affects none (soft_delete_cond)', async () => {
    const body = await runOn(tk, 'mutation { delete_notes(filter: {id: {in: [1, 2]}}) { affected_rows } }');
    expect(body).toEqual({ data: { delete_notes: { affected_rows: 0 } } });
    expect(await count('notes')).toBe(3);
  });

  it('insert into a table without a primary key answers an OperationResult', async () => {
    const body = await runOn(
      tk,
      'mutation { insert_events(data: {kind: "k", n: 1}) { success affected_rows } }',
    );
    expect(body).toEqual({ data: { insert_events: { success: true, affected_rows: 1 } } });
    expect(await db('SELECT kind, n FROM events')).toEqual([{ kind: 'k', n: 1 }]);
  });
});

describe('nested inserts with sequence keys', () => {
  let tk: Engine;
  beforeAll(async () => {
    tk = await c.engineWith({
      name: 'seq',
      readOnly: false,
      catalogs: [{ name: 'mut', type: 'text', path: MUT_SDL }],
    });
  });

  it('back: the children get the parent key the sequence gave (project 500, tasks 900-901)', async () => {
    const body = await runOn(
      tk,
      `mutation { insert_projects(data: {name: "P", tasks: [{title: "a"}, {title: "b"}]}) {
          id name tasks(order_by: [{field: "id"}]) { id project_id title } } }`,
    );
    expect(body).toEqual({
      data: {
        insert_projects: {
          id: 500,
          name: 'P',
          tasks: [
            { id: 900, project_id: 500, title: 'a' },
            { id: 901, project_id: 500, title: 'b' },
          ],
        },
      },
    });
    expect(await db('SELECT id, project_id FROM tasks ORDER BY id')).toEqual([
      { id: 900, project_id: 500 },
      { id: 901, project_id: 500 },
    ]);
  });

  it('forward: the parent is inserted first and its generated key set (project 501, task 902)', async () => {
    const body = await runOn(
      tk,
      'mutation { insert_tasks(data: {title: "c", project: {name: "Q"}}) { id project_id project { id name } } }',
    );
    expect(body).toEqual({
      data: { insert_tasks: { id: 902, project_id: 501, project: { id: 501, name: 'Q' } } },
    });
  });

  it('nested data from a variable', async () => {
    const body = await runOn(
      tk,
      'mutation ($d: projects_mut_input_data!) { insert_projects(data: $d) { name tasks { title } } }',
      { d: { name: 'V', tasks: [{ title: 'from a variable' }] } },
    );
    expect(body).toEqual({ data: { insert_projects: { name: 'V', tasks: [{ title: 'from a variable' }] } } });
  });
});

describe('more update, delete and directive cases', () => {
  it('an explicit null sets a nullable column to NULL (order 1 shipped_on)', async () => {
    const body = await run(
      'mutation { update_orders(filter: {id: {eq: 1}}, data: {shipped_on: null}) { affected_rows } }',
    );
    expect(body).toEqual({ data: { update_orders: { affected_rows: 1 } } });
    expect(await db('SELECT shipped_on, status FROM orders WHERE id = 1')).toEqual([
      { shipped_on: null, status: 'paid' },
    ]);
  });

  it('a filter through a many-to-many relation (orders tagged gift: 1 and 6)', async () => {
    const body = await run(
      'mutation { update_orders(filter: {tags: {any_of: {name: {eq: "gift"}}}}, data: {meta: {tagged: "gift"}}) { affected_rows } }',
    );
    expect(body).toEqual({ data: { update_orders: { affected_rows: 2 } } });
    expect(
      await db(
        `SELECT id FROM orders WHERE meta = '{"tagged": "gift"}' ORDER BY id`,
        `SELECT id FROM orders WHERE meta IS NOT NULL AND JSON_EQUALS(meta, '{"tagged": "gift"}') ORDER BY id`,
      ),
    ).toEqual([{ id: 1 }, { id: 6 }]);
  });

  it('a filter through a back relation (customers with a cancelled order: 2)', async () => {
    const body = await run(
      'mutation { update_customers(filter: {orders: {any_of: {status: {eq: "cancelled"}}}}, data: {note: "had a cancel"}) { affected_rows } }',
    );
    expect(body).toEqual({ data: { update_customers: { affected_rows: 1 } } });
    expect(await db("SELECT id FROM customers WHERE note = 'had a cancel'")).toEqual([{ id: 2 }]);
  });

  it('SQL-looking strings are stored as they are (orders 160)', async () => {
    const evil = "x'); DROP TABLE orders; --";
    await expectData(
      `mutation { insert_orders(data: {id: 160, status: ${JSON.stringify(evil)}, total: 1}) { status } }`,
      {
        insert_orders: { status: evil },
      },
    );
    expect(await db('SELECT status FROM orders WHERE id = 160')).toEqual([{ status: evil }]);
  });

  it('@skip(if: true) on a mutation field: it does not run', async () => {
    const body = await run(
      `mutation ($s: Boolean!) { a: insert_tags(data: {name: "skip1", label: "x"}) @skip(if: $s) { name }
          b: insert_tags(data: {name: "keep1", label: "y"}) { name } }`,
      { s: true },
    );
    expect(body).toEqual({ data: { b: { name: 'keep1' } } });
    expect(await db("SELECT name FROM tags WHERE name IN ('skip1', 'keep1')")).toEqual([{ name: 'keep1' }]);
  });

  it('__typename on OperationResult and the inserted row', async () =>
    expectData(
      `mutation { a: insert_tags(data: {name: "tn1", label: "x"}) { __typename name }
          b: delete_tags(filter: {name: {eq: "tn1"}}) { __typename affected_rows } }`,
      { a: { __typename: 'tags', name: 'tn1' }, b: { __typename: 'OperationResult', affected_rows: 1 } },
    ));

  it('an empty insert is an error and writes nothing', async () => {
    await expectFailure('mutation { insert_tags(data: {}) { name } }', []);
    expect(await count('tags WHERE name IS NULL')).toBe(0);
  });
});

describe('one source per mutation request', () => {
  it('a request with mutations of two sources is refused before anything runs', async () => {
    const engine = await Engine.create([
      c.source({ name: 'w1', readOnly: false }),
      c.source({
        name: 'w2',
        prefix: 'two',
        readOnly: false,
        catalogs: [{ name: 'two', type: 'text', path: RO_SDL }],
      }),
    ]);
    try {
      expect(engine.statuses.every((s) => s.ok)).toBe(true);
      const schema = await runOn(engine, '{ __schema { mutationType { fields { name } } } }');
      const names = (schema.data?.__schema.mutationType.fields as { name: string }[]).map((f) => f.name);
      const other = names.filter((n) => n.startsWith('insert_') && n.includes('two_'));
      expect(other).toHaveLength(1);
      const body = await runOn(
        engine,
        `mutation { a: insert_tags(data: {name: "src1", label: "x"}) { name }
            b: ${other[0]}(data: {name: "src2", label: "y"}) { name } }`,
      );
      expect(body.errors?.length).toBeGreaterThan(0);
      for (const v of Object.values(body.data ?? {})) expect(v).toBeNull();
      expect(await count("tags WHERE name IN ('src1', 'src2')")).toBe(0);
    } finally {
      await engine.close();
    }
  });

  it('a rolled back request says so in its errors', async () => {
    const body = await expectFailure(
      `mutation { a: insert_tags(data: {name: "rb1", label: "x"}) { name }
          b: insert_tags(data: {name: "rush", label: "dup"}) { name } }`,
      [/tags_pkey/, /roll/i],
    );
    expect(body.errors?.find((e) => /tags_pkey/.test(e.message))?.path).toEqual(['b']);
  });
});

describe('concurrency', () => {
  const ids = Array.from({ length: 20 }, (_, i) => 1000 + i);

  it('20 concurrent inserts with distinct ids all succeed (orders 1000-1019, one customer)', async () => {
    const bodies = await Promise.all(
      ids.map((id) =>
        run(
          `mutation { insert_orders(data: {id: ${id}, customer_id: 1, status: "c", total: ${id / 100}}) { id } }`,
        ),
      ),
    );
    expect(bodies).toEqual(ids.map((id) => ({ data: { insert_orders: { id } } })));
    expect(await count('orders WHERE id BETWEEN 1000 AND 1019')).toBe(20);
  });

  it('20 concurrent updates of different rows all apply', async () => {
    const bodies = await Promise.all(
      ids.map((id) =>
        run(
          `mutation { update_orders(filter: {id: {eq: ${id}}}, data: {qty: ${id - 990}}) { affected_rows } }`,
        ),
      ),
    );
    expect(bodies).toEqual(ids.map(() => ({ data: { update_orders: { affected_rows: 1 } } })));
    expect(await count('orders WHERE id BETWEEN 1000 AND 1019 AND qty = id - 990')).toBe(20);
  });

  it('20 concurrent inserts of the same id: exactly one succeeds (tag race)', async () => {
    const bodies = await Promise.all(
      ids.map((_, i) => run(`mutation { insert_tags(data: {name: "race", label: "L${i}"}) { name } }`)),
    );
    const ok = bodies.filter((b) => b.errors === undefined);
    expect(ok).toHaveLength(1);
    expect(ok[0]).toEqual({ data: { insert_tags: { name: 'race' } } });
    for (const b of bodies.filter((x) => x.errors !== undefined)) {
      expect(b.errors?.map((e) => e.message).join(' ')).toMatch(/tags_pkey|duplicate key/);
      expect(b.data?.insert_tags ?? null).toBeNull();
    }
    expect(await count("tags WHERE name = 'race'")).toBe(1);
  });

  it('20 concurrent failing transactions leave nothing and the pool stays healthy', async () => {
    const bodies = await Promise.all(
      ids.map((_, i) =>
        run(`mutation { a: insert_tags(data: {name: "fail${i}", label: "x"}) { name }
            b: insert_orders(data: {id: 1, status: "dup", total: 1}) { id } }`),
      ),
    );
    for (const b of bodies) expect(b.errors?.length).toBeGreaterThan(0);
    expect(await count("tags WHERE name LIKE 'fail%'")).toBe(0);
    const after = await Promise.all(ids.map(() => run('{ orders_by_pk(id: 2) { id } }')));
    expect(after).toEqual(ids.map(() => ({ data: { orders_by_pk: { id: 2 } } })));
    await expectData('mutation { insert_tags(data: {name: "healthy", label: "ok"}) { label } }', {
      insert_tags: { label: 'ok' },
    });
  });

  it('20 concurrent nested inserts (customers 2000-2019 each with an order 3000-3019)', async () => {
    const bodies = await Promise.all(
      ids.map((_, i) =>
        run(`mutation { insert_customers(data: {id: ${2000 + i}, name: "C${i}",
            orders: [{id: ${3000 + i}, status: "c", total: 1}]}) { id orders { id } } }`),
      ),
    );
    expect(bodies).toEqual(
      ids.map((_, i) => ({ data: { insert_customers: { id: 2000 + i, orders: [{ id: 3000 + i }] } } })),
    );
    expect(await count('orders WHERE id BETWEEN 3000 AND 3019 AND customer_id = id - 1000')).toBe(20);
  });
});

describe('concurrent update_exp increments', () => {
  it('30 concurrent updates of one counter each add 1 through update_exp: no write is lost (counter 2)', async () => {
    const engine = await c.engineWith(
      { name: 'counters', readOnly: false, catalogs: [{ name: 'mut', type: 'text', path: MUT_SDL }] },
      { poolSize: 6 },
    );
    const [before] = await db<{ hits: number }>('SELECT hits FROM counters WHERE id = 2');
    const n = 30;
    const bodies = await Promise.all(
      Array.from({ length: n }, (_, i) =>
        runOn(
          engine,
          `mutation { update_counters(filter: {id: {eq: 2}}, data: {note: "n${i}"}) { affected_rows } }`,
        ),
      ),
    );
    expect(bodies).toEqual(bodies.map(() => ({ data: { update_counters: { affected_rows: 1 } } })));
    expect(await db('SELECT hits FROM counters WHERE id = 2')).toEqual([{ hits: before.hits + n }]);
  });
});
