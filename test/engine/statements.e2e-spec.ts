/**
 * SPEC §5: one SQL statement per root field, never one per row (no N+1), whatever the nesting and
 * the number of rows.
 */
import { type Conformance, itUnless, openConformance } from './support.js';

let c: Conformance;

beforeAll(async () => {
  // Three relation levels below a root field plus the scalar leaf: allow it whatever the depth rule.
  c = await openConformance({ maxDepth: 10 });
});

afterAll(async () => {
  await c?.close();
});

/** Three root fields; each walks forward, back and m2m relations three levels deep over all rows. */
const QUERY = `{
  customers(order_by: [{field: "id"}]) {
    id
    orders(order_by: [{field: "id"}]) {
      id
      customer { id orders { id } }
      tags(order_by: [{field: "name"}]) { name orders(order_by: [{field: "id"}]) { id } }
    }
  }
  orders(order_by: [{field: "id"}]) {
    id
    customer { id orders(order_by: [{field: "id"}]) { id tags { name } } }
    tags(order_by: [{field: "name"}]) { name orders(order_by: [{field: "id"}]) { id customer { id } } }
  }
  tags(order_by: [{field: "name"}]) {
    name
    orders(order_by: [{field: "id"}]) {
      id
      customer { id orders(order_by: [{field: "id"}]) { id } }
      tags(order_by: [{field: "name"}]) { name }
    }
  }
}`;

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Row = Record<string, any>;

describe('statements per request', () => {
  it('one root field with nested relations → exactly 1 statement', async () => {
    c.reset();
    const body = await c.run(
      '{ customers { id orders { id customer { id } tags { name orders { id } } } } }',
    );
    expect(body.errors).toBeUndefined();
    expect(c.statements).toHaveLength(1);
  });

  it('three root fields, relations 3 deep over the fixture → exactly 3 statements', async () => {
    c.reset();
    const body = await c.run(QUERY);
    expect(body.errors).toBeUndefined();
    expect(c.statements).toHaveLength(3);
    // Spot-check the answer against conf.sql.
    expect(body.data?.customers).toHaveLength(5);
    expect(body.data?.orders).toHaveLength(8);
    expect(body.data?.tags).toHaveLength(4);
    const o1 = (body.data?.orders as Row[])[0];
    expect(o1).toEqual({
      id: 1,
      customer: {
        id: 1,
        orders: [
          { id: 1, tags: expect.arrayContaining([{ name: 'gift' }, { name: 'rush' }]) },
          { id: 2, tags: [] },
        ],
      },
      tags: [
        {
          name: 'gift',
          orders: [
            { id: 1, customer: { id: 1 } },
            { id: 6, customer: { id: 3 } },
          ],
        },
        {
          name: 'rush',
          orders: [
            { id: 1, customer: { id: 1 } },
            { id: 3, customer: { id: 2 } },
            { id: 8, customer: null },
          ],
        },
      ],
    });
    const vip = (body.data?.tags as Row[]).find((t) => t.name === 'vip');
    expect(vip).toEqual({ name: 'vip', orders: [] });
  });

  // The DuckDB fixture is a Parquet snapshot of the PostgreSQL one: rows added later do not reach it.
  itUnless(
    ['duckdb', 'mysql'],
    'the duckdb and mysql fixtures are snapshots that PostgreSQL writes do not reach',
  )('still exactly 3 statements after the tables grow tenfold', async () => {
    // Written with pg directly (the source is read-only for the engine).
    await c.sql(`INSERT INTO customers (id, full_name)
                 SELECT g, 'bulk customer ' || g FROM generate_series(100, 149) g`);
    await c.sql(`INSERT INTO orders (id, customer_id, status, total)
                 SELECT g, 100 + (g % 50), 'new', g FROM generate_series(100, 199) g`);
    await c.sql(
      `INSERT INTO tags (name, label) SELECT 'tag' || g, 'Tag ' || g FROM generate_series(1, 40) g`,
    );
    await c.sql(`INSERT INTO order_tags (order_id, tag_name)
                 SELECT o, 'tag' || (1 + (o % 40)) FROM generate_series(100, 199) o
                 UNION ALL SELECT o, 'rush' FROM generate_series(100, 199, 3) o`);
    c.reset();
    const body = await c.run(QUERY);
    expect(body.errors).toBeUndefined();
    expect(c.statements).toHaveLength(3);
    expect(body.data?.customers).toHaveLength(55);
    expect(body.data?.orders).toHaveLength(108);
    expect(body.data?.tags).toHaveLength(44);
    const rush = (body.data?.tags as Row[]).find((t) => t.name === 'rush');
    // 1, 3, 8 from the fixture + 100, 103, …, 199 (34 orders)
    expect(rush?.orders).toHaveLength(3 + 34);
    const c100 = (body.data?.customers as Row[]).find((x) => x.id === 100);
    expect(c100?.orders.map((o: Row) => o.id)).toEqual([100, 150]);
  });

  it('each statement went to the conf source', () => {
    expect(c.allStatements.every((s) => s.source === 'conf')).toBe(true);
  });
});
