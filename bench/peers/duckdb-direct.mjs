// "DuckDB direct": the ceiling of bench/duckdb.mjs. A minimal node:http server with its own
// in-memory DuckDB instance (default settings) and a small pool of connections, answering two
// aggregations over the same Parquet file as Muninn's duckdb source, with hand-written SQL. DuckDB
// builds the whole response JSON (json_object/to_json) in the same form as Muninn's answer, and
// the server sends that text as the body without parsing it.
//
//   PARQUET=/tmp/…/orders.parquet PORT=16001 POOL_SIZE=10 node bench/peers/duckdb-direct.mjs
//
// POST /bucket       {}                  count, sum and avg of total per status (GROUP BY status)
// POST /aggregation  {"status": "paid"}  count, sum, avg, min and max of total over one status
// GET  /health

import http from 'node:http';
import { pathToFileURL } from 'node:url';
import { DuckDBInstance } from '@duckdb/node-api';

/** The view Muninn's catalog declares (`@view(name: "orders", sql: …)`), for the same file. */
export const viewSql = (parquet) => `SELECT * FROM read_parquet('${parquet.replace(/'/g, "''")}')`;

/** Route → SQL (values bound) and the bind values taken from the body. */
export const QUERIES = {
  bucket: {
    sql: `
      SELECT json_object('data', json_object('orders_bucket_aggregation', coalesce(to_json(list(
          json_object('key', json_object('status', g.status),
                      'aggregations', json_object('_rows_count', g.n,
                          'total', json_object('sum', g.sum, 'avg', g.avg)))
          ORDER BY g.status)), '[]')))::VARCHAR AS body
      FROM (SELECT status, count(*) AS n, sum(total) AS sum, avg(total) AS avg
            FROM orders GROUP BY status) g`,
    values: () => [],
  },
  aggregation: {
    sql: `
      SELECT json_object('data', json_object('orders_aggregation', json_object(
          '_rows_count', count(*),
          'total', json_object('sum', sum(total), 'avg', avg(total), 'min', min(total),
                               'max', max(total)))))::VARCHAR AS body
      FROM orders WHERE status = $1`,
    values: (b) => [String(b.status)],
  },
};

function readBody(req) {
  return new Promise((resolve, reject) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

function send(res, status, body) {
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
  res.end(body);
}

/** Up to `size` connections of one instance, each with its prepared statements, handed out in turn. */
class Pool {
  idle = [];
  waiting = [];
  total = 0;

  constructor(instance, size) {
    this.instance = instance;
    this.size = size;
  }

  async acquire() {
    const conn = this.idle.pop();
    if (conn) return conn;
    if (this.total >= this.size) return new Promise((resolve) => this.waiting.push(resolve));
    this.total++;
    const connection = await this.instance.connect();
    const prepared = {};
    for (const [route, q] of Object.entries(QUERIES)) prepared[route] = await connection.prepare(q.sql);
    return { connection, prepared };
  }

  release(conn) {
    const next = this.waiting.shift();
    if (next) next(conn);
    else this.idle.push(conn);
  }

  close() {
    for (const { connection } of this.idle.splice(0)) connection.closeSync();
  }
}

export async function createDuckDbDirectServer(parquet, poolSize) {
  const instance = await DuckDBInstance.create(':memory:');
  const setup = await instance.connect();
  await setup.run(`CREATE VIEW orders AS ${viewSql(parquet)}`);
  setup.closeSync();
  const pool = new Pool(instance, poolSize);
  const server = http.createServer(async (req, res) => {
    try {
      if (req.method === 'GET' && req.url === '/health') return send(res, 200, '{"status":"ok"}');
      const route = req.url.slice(1);
      const query = req.method === 'POST' && Object.hasOwn(QUERIES, route) ? QUERIES[route] : undefined;
      if (!query) return send(res, 404, '{"errors":[{"message":"not found"}]}');
      const values = query.values(JSON.parse(await readBody(req)));
      const conn = await pool.acquire();
      try {
        const stmt = conn.prepared[route];
        if (values.length) stmt.bind(values);
        const reader = await stmt.runAndReadAll();
        send(res, 200, String(reader.getRows()[0][0]));
      } finally {
        pool.release(conn);
      }
    } catch (err) {
      send(res, 500, JSON.stringify({ errors: [{ message: String(err?.message ?? err) }] }));
    }
  });
  const close = () => {
    pool.close();
    instance.closeSync();
  };
  return { server, close };
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const port = Number(process.env.PORT ?? 16001);
  const { server, close } = await createDuckDbDirectServer(
    process.env.PARQUET,
    Number(process.env.POOL_SIZE ?? 10),
  );
  server.keepAliveTimeout = 60_000;
  server.listen(port, '127.0.0.1');
  const stop = () =>
    server.close(() => {
      close();
      process.exit(0);
    });
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}
