// Benchmark data set: database `muninn_bench` on 127.0.0.1:5432 (user postgres, trust auth),
// recreated on every run with deterministic rows, plus the Muninn catalog (SDL) for its tables.
//
//   node bench/data.mjs          creates the database and prints the row counts (for inspection)
//   node bench/data.mjs --drop   drops it again
//
// Programmatic use (bench/run.mjs): createBenchDatabase(), dropBenchDatabases(), CATALOG_SDL, …

import fs from 'node:fs';
import { fileURLToPath } from 'node:url';
import pg from 'pg';

export const PG_HOST = '127.0.0.1';
export const PG_PORT = 5432;
export const PG_USER = 'postgres';
export const BENCH_DB = 'muninn_bench';
export const CORE_DB = 'muninn_bench_core';

export const CUSTOMERS = 2_000;
export const ORDERS = 10_000;
export const STATUSES = ['paid', 'pending', 'shipped', 'cancelled', 'refunded'];
const COUNTRIES = ['DE', 'FR', 'NL', 'SE', 'NO', 'PL', 'IT', 'ES', 'US', 'GB'];
const FIRST = ['Ada', 'Björn', 'Chen', 'Dana', 'Emil', 'Farah', 'Gustav', 'Hana', 'Ivo', 'Jule'];
const LAST = ['Berg', 'Costa', 'Dahl', 'Eriksen', 'Fischer', 'Garcia', 'Holm', 'Ito', 'Jansen', 'Kowalski'];

/** Connection string of a database on the benchmark server (no password: trust auth). */
export function dsn(database) {
  return `postgres://${PG_USER}@${PG_HOST}:${PG_PORT}/${database}`;
}

/**
 * Muninn catalog for the benchmark tables. `total` is NUMERIC(12,2) in PostgreSQL; Hugr maps
 * NUMERIC to Float (a JSON number on the wire).
 */
export const CATALOG_SDL = `
type customers @table(name: "customers") {
  id: Int! @pk
  name: String!
  email: String @unique
  country: String
  created_at: Timestamp
}

type orders @table(name: "orders") {
  id: Int! @pk
  customer_id: Int!
    @field_references(references_name: "customers", field: "id", query: "customer", references_query: "orders")
  total: Float
  status: String
  created_at: Timestamp
}
`.trim();

/** Small deterministic PRNG (mulberry32), so every run has the same rows. */
function prng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const EPOCH = Date.UTC(2024, 0, 1); // rows are spread over 2024 at whole seconds

function rows() {
  const rnd = prng(20240101);
  const pick = (list) => list[Math.floor(rnd() * list.length)];
  const customers = { name: [], email: [], country: [], created_at: [] };
  for (let i = 1; i <= CUSTOMERS; i++) {
    customers.name.push(`${pick(FIRST)} ${pick(LAST)}`);
    customers.email.push(`customer${i}@example.com`);
    customers.country.push(pick(COUNTRIES));
    customers.created_at.push(new Date(EPOCH + Math.floor(rnd() * 180 * 86_400) * 1000).toISOString());
  }
  const orders = { customer_id: [], total: [], status: [], created_at: [] };
  for (let i = 1; i <= ORDERS; i++) {
    orders.customer_id.push(1 + Math.floor(rnd() * CUSTOMERS));
    orders.total.push((1 + Math.floor(rnd() * 99_900)) / 100); // 0.01 … 999.00
    orders.status.push(pick(STATUSES));
    orders.created_at.push(
      new Date(EPOCH + (180 + Math.floor(rnd() * 180)) * 86_400_000 + i * 1000).toISOString(),
    );
  }
  return { customers, orders };
}

const SCHEMA_SQL = `
CREATE TABLE customers (
  id serial PRIMARY KEY,
  name text NOT NULL,
  email text UNIQUE,
  country text,
  created_at timestamptz
);
CREATE TABLE orders (
  id serial PRIMARY KEY,
  customer_id int NOT NULL REFERENCES customers (id),
  total numeric(12, 2),
  status text,
  created_at timestamptz
);
CREATE INDEX orders_customer_id_idx ON orders (customer_id);
CREATE INDEX orders_status_idx ON orders (status);
CREATE INDEX orders_total_idx ON orders (total);
CREATE INDEX customers_country_idx ON customers (country);

-- PostGraphile 4 without plugins can only filter by equality (\`condition\`); this function gives
-- it the "total > x" half of the filtered-list shape. It is a plain SQL STABLE function, which
-- PostgreSQL inlines into the calling query (so the indexes are used as for a WHERE clause). The
-- smart tags let PostGraphile add \`condition\` and \`orderBy\` to the field it generates.
CREATE FUNCTION orders_total_over(min_total numeric) RETURNS SETOF orders
  LANGUAGE sql STABLE AS $$ SELECT * FROM orders WHERE total > min_total $$;
COMMENT ON FUNCTION orders_total_over(numeric) IS E'@sortable\\n@filterable';
`;

/** Runs `fn` with a client connected to `database` on the benchmark server, then disconnects. */
export async function withClient(database, fn) {
  const client = new pg.Client({ connectionString: dsn(database) });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

/** Drops (forcing connections off) and creates `name` on the benchmark server. */
export async function recreateDatabase(name) {
  await withClient('postgres', async (c) => {
    await c.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
    await c.query(`CREATE DATABASE "${name}"`);
  });
}

export async function dropDatabase(name) {
  await withClient('postgres', (c) => c.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`));
}

/** Creates `muninn_bench` fresh, fills it and analyzes it; resolves the row counts. */
export async function createBenchDatabase() {
  await recreateDatabase(BENCH_DB);
  const { customers, orders } = rows();
  return withClient(BENCH_DB, async (c) => {
    await c.query('BEGIN');
    await c.query(SCHEMA_SQL);
    await c.query(
      `INSERT INTO customers (name, email, country, created_at)
       SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::timestamptz[])`,
      [customers.name, customers.email, customers.country, customers.created_at],
    );
    await c.query(
      `INSERT INTO orders (customer_id, total, status, created_at)
       SELECT * FROM unnest($1::int[], $2::numeric[], $3::text[], $4::timestamptz[])`,
      [orders.customer_id, orders.total, orders.status, orders.created_at],
    );
    await c.query('COMMIT');
    await c.query('VACUUM ANALYZE customers');
    await c.query('VACUUM ANALYZE orders');
    const { rows: counts } = await c.query(
      `SELECT (SELECT count(*) FROM customers)::int AS customers, (SELECT count(*) FROM orders)::int AS orders`,
    );
    return counts[0];
  });
}

/** Server version string, e.g. "PostgreSQL 15.20 (Debian …) on x86_64…". */
export async function serverVersion() {
  return withClient('postgres', async (c) => (await c.query('SELECT version() AS v')).rows[0].v);
}

export async function dropBenchDatabases() {
  await dropDatabase(BENCH_DB);
  await dropDatabase(CORE_DB);
}

function isMain() {
  try {
    return fs.realpathSync(process.argv[1] ?? '') === fs.realpathSync(fileURLToPath(import.meta.url));
  } catch {
    return false;
  }
}

if (isMain()) {
  const drop = process.argv.includes('--drop');
  (drop ? dropBenchDatabases() : createBenchDatabase()).then(
    (counts) => {
      process.stdout.write(
        drop ? `dropped ${BENCH_DB}, ${CORE_DB}\n` : `${BENCH_DB}: ${JSON.stringify(counts)}\n`,
      );
    },
    (err) => {
      process.stderr.write(`bench/data: ${err.message}\n`);
      process.exit(1);
    },
  );
}
