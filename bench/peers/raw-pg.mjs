// "Raw pg over HTTP": the ceiling of the benchmark. A minimal node:http server with one pg.Pool
// (10 connections, as Muninn's per-source pool) that answers the five query shapes with
// hand-written SQL. PostgreSQL builds the whole response JSON (json_build_object/json_agg), and
// the server sends that text as the body without parsing it.
//
//   DATABASE_URL=postgres://postgres@127.0.0.1:5432/muninn_bench PORT=16000 node bench/peers/raw-pg.mjs
//
// POST /a  {"limit": 50}                                    orders + forward relation customer
// POST /b  {"id": 42}                                       customer by pk + back relation orders
// POST /c  {"status": "paid", "minTotal": 500, "limit": 50} filtered orders
// POST /d  {"status": "paid"}                               aggregation of the filtered orders
// POST /e  {}                                               bucket aggregation by status
// GET  /health

import http from 'node:http';
import { pathToFileURL } from 'node:url';
import pg from 'pg';

export const POOL_SIZE = 10;

/** Shape → SQL (prepared statements, all values bound) and the bind values taken from the body. */
export const SHAPES = {
  a: {
    sql: `
      SELECT json_build_object('data', json_build_object('orders', coalesce(json_agg(
          json_build_object('id', o.id, 'total', o.total, 'status', o.status,
                            'customer', (SELECT json_build_object('id', c.id, 'name', c.name)
                                         FROM customers c WHERE c.id = o.customer_id))
          ORDER BY o.id), '[]'::json)))::text AS body
      FROM (SELECT id, total, status, customer_id FROM orders ORDER BY id LIMIT $1) o`,
    values: (b) => [b.limit],
  },
  b: {
    sql: `
      SELECT json_build_object('data', json_build_object('customers_by_pk', (
        SELECT json_build_object('id', c.id, 'name', c.name, 'email', c.email, 'orders', (
                 SELECT coalesce(json_agg(json_build_object('id', o.id, 'total', o.total) ORDER BY o.id),
                                 '[]'::json)
                 FROM orders o WHERE o.customer_id = c.id))
        FROM customers c WHERE c.id = $1)))::text AS body`,
    values: (b) => [b.id],
  },
  c: {
    sql: `
      SELECT json_build_object('data', json_build_object('orders', coalesce(json_agg(
          json_build_object('id', o.id, 'total', o.total, 'created_at', o.created_at)
          ORDER BY o.id), '[]'::json)))::text AS body
      FROM (SELECT id, total, created_at FROM orders WHERE status = $1 AND total > $2
            ORDER BY id LIMIT $3) o`,
    values: (b) => [b.status, b.minTotal, b.limit],
  },
  d: {
    sql: `
      SELECT json_build_object('data', json_build_object('orders_aggregation', json_build_object(
          '_rows_count', count(*),
          'total', json_build_object('sum', sum(total), 'avg', avg(total), 'min', min(total),
                                     'max', max(total)))))::text AS body
      FROM orders WHERE status = $1`,
    values: (b) => [b.status],
  },
  e: {
    sql: `
      SELECT json_build_object('data', json_build_object('orders_bucket_aggregation', coalesce(json_agg(
          json_build_object('key', json_build_object('status', g.status),
                            'aggregations', json_build_object('_rows_count', g.n,
                                'total', json_build_object('sum', g.sum, 'avg', g.avg)))
          ORDER BY g.status), '[]'::json)))::text AS body
      FROM (SELECT status, count(*) AS n, sum(total) AS sum, avg(total) AS avg
            FROM orders GROUP BY status) g`,
    values: () => [],
  },
};

export function readBody(req) {
  return new Promise((resolve, reject) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

export function send(res, status, body) {
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
  res.end(body);
}

export function createRawPgServer(connectionString) {
  const pool = new pg.Pool({ connectionString, max: POOL_SIZE });
  pool.on('error', () => {}); // an idle client dying (e.g. the database dropped) must not crash the peer
  const server = http.createServer(async (req, res) => {
    try {
      if (req.method === 'GET' && req.url === '/health') return send(res, 200, '{"status":"ok"}');
      const shape = req.method === 'POST' ? SHAPES[req.url.slice(1)] : undefined;
      if (!shape) return send(res, 404, '{"errors":[{"message":"not found"}]}');
      const body = JSON.parse(await readBody(req));
      const { rows } = await pool.query({
        name: `shape_${req.url.slice(1)}`,
        text: shape.sql,
        values: shape.values(body),
      });
      send(res, 200, rows[0].body);
    } catch (err) {
      send(res, 500, JSON.stringify({ errors: [{ message: String(err?.message ?? err) }] }));
    }
  });
  return { server, pool };
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const port = Number(process.env.PORT ?? 16000);
  const { server, pool } = createRawPgServer(process.env.DATABASE_URL);
  server.keepAliveTimeout = 60_000;
  server.listen(port, '127.0.0.1');
  const stop = () => server.close(() => pool.end().then(() => process.exit(0)));
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}
