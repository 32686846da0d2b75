/**
 * The conformance fixture on MariaDB/MySQL: the tables of conf.sql in MariaDB types (binary
 * collation, as PostgreSQL's C order; DATETIME(6) holding UTC; JSON), rows copied from the
 * PostgreSQL fixture, in a throwaway database per test file.
 */
import { execFileSync } from 'node:child_process';

import mysql from 'mysql2/promise';
import pg from 'pg';

export const MYSQL_ADMIN_URL = process.env.MUNINN_TEST_MYSQL_URL ?? 'mysql://root@127.0.0.1:3306';
/** The user made over the local socket when root cannot log in over TCP (unix_socket auth). */
const FALLBACK_URL = 'mysql://muninn:muninn@127.0.0.1:3306';

const DDL = `
CREATE TABLE customers (
  id INT PRIMARY KEY, full_name VARCHAR(200) NOT NULL, email VARCHAR(200), attrs JSON,
  address JSON, born DATE, score DOUBLE, big BIGINT, active BOOLEAN, created_at DATETIME(6), note TEXT,
  CONSTRAINT customers_email_key UNIQUE (email)
);
CREATE TABLE orders (
  id INT PRIMARY KEY, customer_id INT, status VARCHAR(50) NOT NULL,
  total DECIMAL(12, 2) NOT NULL, qty INT, created_at DATETIME(6), shipped_on DATE, meta JSON,
  CONSTRAINT orders_customer_id_fkey FOREIGN KEY (customer_id) REFERENCES customers (id)
);
CREATE TABLE tags (name VARCHAR(50) PRIMARY KEY, label VARCHAR(200) NOT NULL);
CREATE TABLE order_tags (
  order_id INT NOT NULL, tag_name VARCHAR(50) NOT NULL, PRIMARY KEY (order_id, tag_name),
  CONSTRAINT order_tags_order_id_fkey FOREIGN KEY (order_id) REFERENCES orders (id),
  CONSTRAINT order_tags_tag_name_fkey FOREIGN KEY (tag_name) REFERENCES tags (name)
);
CREATE TABLE products (
  id INT PRIMARY KEY, sku VARCHAR(50) NOT NULL, name VARCHAR(200) NOT NULL, price DECIMAL(12, 2),
  CONSTRAINT products_sku_key UNIQUE (sku)
);
`;

const TABLES = ['customers', 'orders', 'tags', 'order_tags', 'products'];

async function adminConnection(): Promise<{ conn: mysql.Connection; url: string }> {
  try {
    return { conn: await mysql.createConnection(MYSQL_ADMIN_URL), url: MYSQL_ADMIN_URL };
  } catch (err) {
    if ((err as { code?: string }).code !== 'ER_ACCESS_DENIED_ERROR' || process.env.MUNINN_TEST_MYSQL_URL)
      throw new Error(
        `MariaDB is not reachable at ${MYSQL_ADMIN_URL.replace(/:[^:@/]*@/, ':***@')} (${(err as Error).message}); start it (apt-get install -y mariadb-server; mysqld_safe &) or set MUNINN_TEST_MYSQL_URL`,
        { cause: err },
      );
    // root authenticates by unix socket: make a password user over the socket, once.
    execFileSync('mysql', [
      '-uroot',
      '-e',
      "CREATE USER IF NOT EXISTS 'muninn'@'127.0.0.1' IDENTIFIED BY 'muninn'; GRANT ALL ON *.* TO 'muninn'@'127.0.0.1'",
    ]);
    return { conn: await mysql.createConnection(FALLBACK_URL), url: FALLBACK_URL };
  }
}

/** A MariaDB database with the fixture's rows (read from `client`, the PostgreSQL fixture). */
export async function createMySqlFixture(
  client: pg.Client,
): Promise<{ url: string; drop: () => Promise<void> }> {
  const name = `muninn_conf_${process.pid}_${Date.now().toString(36)}`;
  const admin = await adminConnection();
  const conn = admin.conn;
  try {
    await conn.query(`CREATE DATABASE ${name} CHARACTER SET utf8mb4 COLLATE utf8mb4_bin`);
    await conn.query(`USE ${name}`);
    for (const ddl of DDL.split(';').filter((s) => s.trim())) await conn.query(ddl);
    await client.query(`SET TimeZone = 'UTC'`);
    for (const table of TABLES) {
      const { rows } = await client.query<{ j: Record<string, unknown> }>(
        `SELECT row_to_json(t) AS j FROM ${table} t`,
      );
      for (const { j } of rows) {
        const cols = Object.keys(j);
        const values = cols.map((c) => {
          const v = j[c];
          if (v !== null && typeof v === 'object') return JSON.stringify(v);
          // timestamptz in UTC: 2024-02-01T08:30:00.123456+00:00 → DATETIME text.
          if (typeof v === 'string' && /^\d{4}-\d{2}-\d{2}T.*\+00:00$/.test(v))
            return v.replace('T', ' ').replace('+00:00', '');
          return v;
        });
        await conn.execute(
          `INSERT INTO ${table} (${cols.join(', ')}) VALUES (${cols.map(() => '?').join(', ')})`,
          values as never[],
        );
      }
    }
  } finally {
    await conn.end();
  }
  const url = `${admin.url}/${name}`;
  return {
    url,
    drop: async () => {
      const c = await mysql.createConnection(admin.url);
      await c.query(`DROP DATABASE IF EXISTS ${name}`);
      await c.end();
    },
  };
}

/** The conformance catalog in MariaDB's SQL (the one PostgreSQL cast of the view removed). */
export function mysqlCatalog(sdl: string): string {
  return sdl.replace('COALESCE([$min_total]::numeric, 0)', 'COALESCE([$min_total], 0)');
}
