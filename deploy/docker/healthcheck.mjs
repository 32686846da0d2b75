#!/usr/bin/env node
// Container health check: `node healthcheck.mjs [path]` exits 0 when GET <path> on this node answers
// 200, else 1. The port comes from BIND (each image target sets its default, :14000 or :15000), so
// the check follows a BIND override. The images have no curl; Node's fetch does the request, with a
// timeout below the HEALTHCHECK's 3 s.
const path = process.argv[2] ?? '/health/live';
const bind = process.env.BIND ?? '';
const m = /^(?:\[([0-9a-fA-F:]+)\]|([^:\s]*)):(\d{1,5})$/.exec(bind.trim());
if (!m) {
  process.stderr.write(`healthcheck: BIND "${bind}" is not a listen address\n`);
  process.exit(1);
}
// A wildcard listen address is reached through loopback; a specific one only through itself.
const host =
  m[1] !== undefined ? `[${m[1] === '::' ? '::1' : m[1]}]` : !m[2] || m[2] === '0.0.0.0' ? '127.0.0.1' : m[2];
const url = `http://${host}:${m[3]}${path}`;
try {
  const res = await fetch(url, { signal: AbortSignal.timeout(2500) });
  if (res.status !== 200) {
    process.stderr.write(`healthcheck: ${url} answered ${res.status}\n`);
    process.exit(1);
  }
} catch (err) {
  process.stderr.write(`healthcheck: ${url}: ${err.message}\n`);
  process.exit(1);
}
