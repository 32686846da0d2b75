// The floor under any cache hit on this machine: a minimal node:http server that reads and parses
// each request's JSON body and answers every POST with the same fixed text (the cached answer, in
// BODY). Nothing is looked up, authenticated or built.
//
//   BODY='{"data":…}' PORT=16001 node bench/peers/fixed-body.mjs
//
// POST /<anything>  {"query": "…"}   the body from BODY
// GET  /health

import http from 'node:http';
import { readBody, send } from './raw-pg.mjs';

const body = process.env.BODY ?? '';
const server = http.createServer(async (req, res) => {
  try {
    if (req.method === 'GET' && req.url === '/health') return send(res, 200, '{"status":"ok"}');
    if (req.method !== 'POST') return send(res, 404, '{"errors":[{"message":"not found"}]}');
    JSON.parse(await readBody(req));
    send(res, 200, body);
  } catch (err) {
    send(res, 400, JSON.stringify({ errors: [{ message: String(err?.message ?? err) }] }));
  }
});
server.keepAliveTimeout = 60_000;
server.listen(Number(process.env.PORT ?? 16001), '127.0.0.1');
const stop = () => server.close(() => process.exit(0));
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
