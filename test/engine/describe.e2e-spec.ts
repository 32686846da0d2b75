/**
 * Self-defined sources (docs/data-sources.md "Self-defined sources"): `describeSource` generates
 * catalog SDL from a database's own catalog — tables, views, primary keys, unique constraints,
 * foreign keys as relations (a junction table as many-to-many) — on PostgreSQL and DuckDB; the
 * text compiles, and a `selfDefined` source without catalogs serves queries through it.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { Engine, type SourceInput, describeSource, validateCatalogs } from '@app/engine';
import { DuckDBInstance } from '@duckdb/node-api';

import { createTestDatabase, runSql } from '../support/postgres.js';
import type { GqlBody } from './support.js';

const SCHEMA_SQL = `
CREATE TABLE customers (
  id serial PRIMARY KEY,
  name text NOT NULL,
  email varchar(200) UNIQUE,
  born date,
  created_at timestamptz NOT NULL DEFAULT now(),
  local_at timestamp,
  score numeric(10, 2),
  visits bigint,
  rank smallint,
  active boolean,
  attrs jsonb,
  doc json,
  tags text[],
  ext uuid,
  wait interval,
  opens time,
  "Display Name" text,
  photo bytea
);
CREATE TABLE orders (
  id int PRIMARY KEY,
  customer_id int NOT NULL REFERENCES customers (id),
  total float8,
  status text
);
CREATE TABLE tags (name text PRIMARY KEY);
CREATE TABLE order_tags (
  order_id int NOT NULL REFERENCES orders (id),
  tag_name text NOT NULL REFERENCES tags (name),
  PRIMARY KEY (order_id, tag_name)
);
CREATE TABLE transfers (
  id int PRIMARY KEY,
  from_customer_id int REFERENCES customers (id),
  to_customer_id int REFERENCES customers (id),
  UNIQUE (from_customer_id, to_customer_id)
);
CREATE VIEW big_orders AS SELECT id, total FROM orders WHERE total > 100;
CREATE SCHEMA sales;
CREATE TABLE sales.regions (code text PRIMARY KEY, label text);
INSERT INTO customers (id, name, email, created_at) VALUES
  (1, 'Ada', 'ada@example.com', '2025-03-15T09:00:00Z'), (2, 'Bob', NULL, '2025-03-16T10:00:00Z');
INSERT INTO orders VALUES (10, 1, 250, 'paid'), (11, 1, 20, 'new'), (12, 2, 120, 'paid');
INSERT INTO tags VALUES ('gift'), ('rush');
INSERT INTO order_tags VALUES (10, 'gift'), (10, 'rush'), (12, 'rush');
`;

const PG_SDL = `type big_orders @view(name: "big_orders") {
  id: Int
  total: Float
}

# skipped column photo: type bytea is not served
type customers @table(name: "customers") {
  id: Int! @pk
  name: String!
  email: String @unique
  born: Date
  created_at: Timestamp!
  local_at: DateTime
  score: Float
  visits: BigInt
  rank: Int
  active: Boolean
  attrs: JSON
  doc: JSON
  tags: [String]
  ext: String
  wait: Interval
  opens: Time
  Display_Name: String @field_source(field: "Display Name")
}

type order_tags @table(name: "order_tags", is_m2m: true) {
  order_id: Int! @pk @field_references(references_name: "orders", field: "id", query: "order", references_query: "tags")
  tag_name: String! @pk @field_references(references_name: "tags", field: "name", query: "tags", references_query: "orders")
}

type orders @table(name: "orders") {
  id: Int! @pk
  customer_id: Int! @field_references(references_name: "customers", field: "id", query: "customer", references_query: "orders")
  total: Float
  status: String
}

type tags @table(name: "tags") {
  name: String! @pk
}

type transfers @table(name: "transfers") @unique(fields: ["from_customer_id", "to_customer_id"]) {
  id: Int! @pk
  from_customer_id: Int @field_references(references_name: "customers", field: "id", query: "from_customer", references_query: "transfers_by_from_customer_id")
  to_customer_id: Int @field_references(references_name: "customers", field: "id", query: "to_customer", references_query: "transfers_by_to_customer_id")
}
`;

async function gql(engine: Engine, query: string): Promise<GqlBody> {
  return JSON.parse((await engine.execute({ query })).body) as GqlBody;
}

function source(over: Partial<SourceInput>): SourceInput {
  return {
    name: 'self',
    type: 'postgres',
    prefix: '',
    asModule: false,
    path: '',
    readOnly: false,
    catalogs: [],
    ...over,
  };
}

describe('self-defined PostgreSQL source', () => {
  let db: { url: string; drop: () => Promise<void> };
  beforeAll(async () => {
    db = await createTestDatabase('describe');
    await runSql(db.url, SCHEMA_SQL);
  });
  afterAll(() => db.drop());

  it('describes tables, views, keys and relations as catalog SDL (public schema)', async () => {
    const sdl = await describeSource(source({ path: db.url }));
    expect(sdl).toBe(PG_SDL);
  });

  it('is deterministic and compiles', async () => {
    const again = await describeSource(source({ path: db.url }));
    expect(again).toBe(PG_SDL);
    const result = await validateCatalogs([
      source({ catalogs: [{ name: 'gen', type: 'text', path: PG_SDL }] }),
    ]);
    expect(result.problems).toEqual([]);
    expect(result.sdl).toContain('customers_by_email(email: String!): customers');
  });

  it('with schemas: all, other schemas become modules with schema-qualified type names', async () => {
    const sdl = await describeSource(source({ path: db.url }), { schemas: 'all' });
    expect(sdl).toContain(
      'type sales_regions @table(name: "sales.regions") @module(name: "sales") {\n  code: String! @pk\n  label: String\n}\n',
    );
    expect(sdl).toContain('type customers @table(name: "customers") {');
    const result = await validateCatalogs([source({ catalogs: [{ name: 'gen', type: 'text', path: sdl }] })]);
    expect(result.problems).toEqual([]);
  });

  it('serves a self-defined source without catalogs, relations included', async () => {
    const engine = await Engine.create([source({ path: db.url, selfDefined: true })]);
    try {
      expect(engine.statuses).toEqual([{ name: 'self', ok: true }]);
      const body = await gql(
        engine,
        `{ orders(order_by: [{ field: "id" }]) { id customer { name } tags(order_by: [{ field: "name" }]) { name } }
           customers_by_email(email: "ada@example.com") { name created_at orders_aggregation { _rows_count } }
           big_orders(order_by: [{ field: "id" }]) { id total } }`,
      );
      expect(body.errors).toBeUndefined();
      expect(body.data).toEqual({
        orders: [
          { id: 10, customer: { name: 'Ada' }, tags: [{ name: 'gift' }, { name: 'rush' }] },
          { id: 11, customer: { name: 'Ada' }, tags: [] },
          { id: 12, customer: { name: 'Bob' }, tags: [{ name: 'rush' }] },
        ],
        customers_by_email: {
          name: 'Ada',
          created_at: '2025-03-15T09:00:00Z',
          orders_aggregation: { _rows_count: 2 },
        },
        big_orders: [
          { id: 10, total: 250 },
          { id: 12, total: 120 },
        ],
      });
    } finally {
      await engine.close();
    }
  });

  it('a catalog of a self-defined source replaces the generated type of the same name', async () => {
    const catalog = `type orders @table(name: "orders") {
  id: Int! @pk
  total: Float
  customer_id: Int! @field_references(references_name: "customers", field: "id", query: "buyer", references_query: "purchases")
}`;
    const engine = await Engine.create([
      source({ path: db.url, selfDefined: true, catalogs: [{ name: 'mine', type: 'text', path: catalog }] }),
    ]);
    try {
      expect(engine.statuses).toEqual([{ name: 'self', ok: true }]);
      const body = await gql(engine, '{ orders_by_pk(id: 12) { total buyer { name purchases { id } } } }');
      expect(body).toEqual({
        data: { orders_by_pk: { total: 120, buyer: { name: 'Bob', purchases: [{ id: 12 }] } } },
      });
      // The generated `status` field went with the generated type.
      expect((await gql(engine, '{ orders { status } }')).errors?.[0].message).toMatch(/status/);
    } finally {
      await engine.close();
    }
  });

  it('reports a connection failure without the DSN', async () => {
    const bad = 'postgres://secretuser:secretpass@127.0.0.1:1/nowhere';
    await expect(describeSource(source({ path: bad }), { connectTimeoutMs: 2000 })).rejects.toThrow(
      /cannot connect: connection refused/,
    );
    await describeSource(source({ path: bad })).catch((err: Error) =>
      expect(err.message).not.toMatch(/secret/),
    );
    const engine = await Engine.create([source({ path: bad, selfDefined: true })]);
    expect(engine.statuses[0]).toMatchObject({
      ok: false,
      error: expect.stringMatching(/connection refused/),
    });
    await engine.close();
  });
});

describe('self-defined DuckDB source', () => {
  let dir: string;
  let file: string;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'muninn-describe-'));
    file = join(dir, 'shop.duckdb');
    const instance = await DuckDBInstance.create(file);
    const duck = await instance.connect();
    await duck.run(`
      CREATE TABLE customers (id INTEGER PRIMARY KEY, name VARCHAR NOT NULL, email VARCHAR UNIQUE,
        created_at TIMESTAMPTZ, score DECIMAL(10, 2), tags VARCHAR[], info STRUCT(a INTEGER));
      CREATE TABLE orders (id BIGINT PRIMARY KEY, customer_id INTEGER NOT NULL REFERENCES customers (id),
        total DOUBLE, placed DATE);
      CREATE VIEW paid AS SELECT id, total FROM orders WHERE total > 100;
      INSERT INTO customers VALUES (1, 'Ada', 'ada@example.com', '2025-03-15 09:00:00+00', 1.5, ['a'], {'a': 1}),
        (2, 'Bob', NULL, NULL, NULL, NULL, NULL);
      INSERT INTO orders VALUES (10, 1, 250, '2025-03-15'), (11, 2, 20, '2025-03-16');
    `);
    duck.closeSync();
    instance.closeSync();
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const DUCK_SDL = `# skipped column info: type STRUCT(a INTEGER) is not served
type customers @table(name: "customers") {
  id: Int! @pk
  name: String!
  email: String @unique
  created_at: Timestamp
  score: Float
  tags: [String]
}

type orders @table(name: "orders") {
  id: BigInt! @pk
  customer_id: Int! @field_references(references_name: "customers", field: "id", query: "customer", references_query: "orders")
  total: Float
  placed: Date
}

type paid @view(name: "paid") {
  id: BigInt
  total: Float
}
`;

  it('describes the attached database file', async () => {
    const sdl = await describeSource(source({ type: 'duckdb', path: file }));
    expect(sdl).toBe(DUCK_SDL);
    const result = await validateCatalogs([
      source({ type: 'duckdb', catalogs: [{ name: 'gen', type: 'text', path: sdl }] }),
    ]);
    expect(result.problems).toEqual([]);
  });

  it('serves a self-defined duckdb source with its relation', async () => {
    const engine = await Engine.create([source({ type: 'duckdb', path: file, selfDefined: true })]);
    try {
      expect(engine.statuses).toEqual([{ name: 'self', ok: true }]);
      const body = await gql(
        engine,
        '{ orders(order_by: [{ field: "id" }]) { id customer { name } } paid { id } customers_by_pk(id: 1) { orders { placed } } }',
      );
      expect(body).toEqual({
        data: {
          orders: [
            { id: 10, customer: { name: 'Ada' } },
            { id: 11, customer: { name: 'Bob' } },
          ],
          paid: [{ id: 10 }],
          customers_by_pk: { orders: [{ placed: '2025-03-15' }] },
        },
      });
    } finally {
      await engine.close();
    }
  });
});
