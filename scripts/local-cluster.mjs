#!/usr/bin/env node
// `npm start`: a local cluster on loopback — management (owning the embedded core DB) and two
// work nodes that reach that store through management's loopback PostgreSQL socket — plus the
// demo shop database (PGlite, served by this process) registered as data source `shop`.
// Needs only Node and npm. Ctrl-C stops everything cleanly.
import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createWriteStream, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ensureShopSource, openShopDb, shopStatus } from './demo/shop.mjs';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const home = resolve(process.env.MUNINN_HOME ?? join(root, '.muninn'));
const logs = join(home, 'logs');
const say = (line) => process.stdout.write(`${line}\n`);

function freePort(preferred) {
  return new Promise((res) => {
    const server = createServer();
    server.once('error', () => (preferred ? freePort(0).then(res) : res(0)));
    server.listen(preferred, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => res(port));
    });
  });
}

async function waitReady(url, what, child, deadlineMs = 120_000) {
  const until = Date.now() + deadlineMs;
  while (Date.now() < until) {
    if (child.exitCode !== null) throw new Error(`${what} exited with code ${child.exitCode}; see ${logs}`);
    try {
      const res = await fetch(`${url}/health/ready`, { signal: AbortSignal.timeout(2000) });
      if (res.status === 200) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`${what} not ready within ${deadlineMs / 1000} s; see ${logs}`);
}

/** Each node's load status of `shop` once every node has reported (at most ~10 s). */
async function shopOnNodes(management, adminKey, count) {
  let status;
  for (let i = 0; i < 40; i++) {
    status = await shopStatus({ management, adminKey }).catch(() => undefined);
    if (status?.nodes.length >= count && status.nodes.every((n) => n.loaded || n.error)) break;
    await new Promise((r) => setTimeout(r, 250));
  }
  if (!status?.nodes.length) return 'no node has reported yet';
  return status.nodes
    .map((n) => `${n.node} ${n.loaded ? 'loaded' : 'NOT loaded'}${n.error ? ` (${n.error})` : ''}`)
    .join(', ');
}

/** Secrets survive restarts so bookmarked keys keep working; they live in .muninn/ (git-ignored). */
function localSecrets() {
  const file = join(home, 'local-cluster.json');
  if (existsSync(file)) return JSON.parse(readFileSync(file, 'utf8'));
  const secrets = {
    adminKey: randomBytes(18).toString('base64url'),
    clusterSecret: randomBytes(24).toString('base64url'),
  };
  writeFileSync(file, JSON.stringify(secrets, null, 2), { mode: 0o600 });
  return secrets;
}

const children = [];
let shopDb;
function start(name, entry, env) {
  const out = createWriteStream(join(logs, `${name}.log`), { flags: 'a' });
  const child = spawn(process.execPath, [join(root, entry)], {
    cwd: root,
    env: { ...process.env, LOG_FORMAT: 'json', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout.pipe(out);
  child.stderr.pipe(out);
  children.push({ name, child });
  return child;
}

let stopping = false;
async function stopAll(code) {
  if (stopping) return;
  stopping = true;
  say('\nstopping: work nodes first, then management, then the demo database…');
  for (const group of [
    children.filter((c) => c.name !== 'management'),
    children.filter((c) => c.name === 'management'),
  ]) {
    await Promise.all(
      group.map(
        ({ name, child }) =>
          new Promise((res) => {
            if (child.exitCode !== null) return res();
            const kill = setTimeout(() => child.kill('SIGKILL'), 20_000);
            child.once('exit', (c) => {
              clearTimeout(kill);
              say(`  ${name} stopped (exit ${c ?? 'signal'})`);
              res();
            });
            child.kill('SIGTERM');
          }),
      ),
    );
  }
  if (shopDb) {
    await shopDb.close().catch((err) => say(`  demo database: ${err.message}`));
    say('  demo database stopped');
  }
  process.exit(code);
}
process.on('SIGINT', () => void stopAll(0));
process.on('SIGTERM', () => void stopAll(0));

mkdirSync(logs, { recursive: true });
if (
  !existsSync(join(root, 'dist/apps/management/apps/management/src/main.js')) ||
  !existsSync(join(root, 'dist/apps/worker/apps/worker/src/main.js'))
) {
  say('building (first run)…');
  const build = spawnSync('npm', ['run', 'build'], { cwd: root, stdio: 'inherit' });
  if (build.status !== 0) process.exit(build.status ?? 1);
}

const { adminKey, clusterSecret } = localSecrets();
const corePort = await freePort(0);
const mgmtPort = await freePort(14000);
const management = `http://127.0.0.1:${mgmtPort}`;
say(`starting management on ${management} (embedded core DB in ${join(home, 'core-db')})…`);
const mgmt = start('management', 'dist/apps/management/apps/management/src/main.js', {
  BIND: `127.0.0.1:${mgmtPort}`,
  CLUSTER_SECRET: clusterSecret,
  SECRET_KEY: adminKey,
  CORE_DB_PATH: join(home, 'core-db'),
  CORE_DB_EMBEDDED_PORT: String(corePort),
  CHECK: '10s',
  TIMEOUT: '5s',
  DRAIN_DELAY: '0s',
});
try {
  await waitReady(management, 'management', mgmt);
  const demoDir = join(home, 'demo-db');
  say(`starting the demo shop database (PGlite in ${demoDir})…`);
  shopDb = await openShopDb(demoDir);
  say(`  ${shopDb.seeded ? 'created from scripts/demo/shop.sql' : 'existing data'}; serving ${shopDb.url}`);
  await ensureShopSource({ management, adminKey, url: shopDb.url, say });
  const workers = [];
  for (const [i, preferred] of [15001, 15002].entries()) {
    const port = await freePort(preferred);
    const name = `worker-${i + 1}`;
    const url = `http://127.0.0.1:${port}`;
    say(`starting ${name} on ${url}…`);
    const child = start(name, 'dist/apps/worker/apps/worker/src/main.js', {
      BIND: `127.0.0.1:${port}`,
      CLUSTER_SECRET: clusterSecret,
      CLUSTER_MANAGEMENT_URL: management,
      CLUSTER_NODE_NAME: name,
      CLUSTER_NODE_URL: url,
      CLUSTER_HEARTBEAT: '10s',
      CLUSTER_POLL_INTERVAL: '10s',
      CORE_DB_PATH: `postgres://postgres@127.0.0.1:${corePort}/postgres`,
      SECRET_KEY: adminKey,
      DRAIN_DELAY: '0s',
    });
    workers.push({ name, url, child });
  }
  await Promise.all(workers.map((w) => waitReady(w.url, w.name, w.child)));
  say(`  data source shop on the work nodes: ${await shopOnNodes(management, adminKey, workers.length)}`);
  say('');
  say('Muninn local cluster is up.');
  say(`  management API + Apollo Sandbox  ${management}/graphql`);
  for (const w of workers) say(`  ${w.name.padEnd(33)}${w.url}  (probes: ${w.url}/health)`);
  say(`  demo shop database (PGlite)      ${shopDb.url}`);
  say(`  admin key (x-hugr-secret-key)    ${adminKey}`);
  say(`  logs                             ${logs}`);
  say('');
  say(
    `try: curl -s ${management}/graphql -H 'content-type: application/json' -H 'x-hugr-secret-key: ${adminKey}' \\`,
  );
  say(
    `       -d '{"query":"{ nodes { name status schemaVersion } cluster { schemaVersion healthyNodeCount } }"}'`,
  );
  say(`query the demo shop on a work node:`);
  say(
    `  curl -s ${workers[0].url}/query -H 'x-hugr-secret-key: ${adminKey}' -H 'content-type: application/json' \\`,
  );
  say(`       -d '{"query":"{ shop { customers(limit: 3) { id name orders { id total } } } }"}'`);
  say('Press Ctrl-C to stop.');
  for (const { name, child } of children) {
    child.once('exit', (code) => {
      if (!stopping) {
        say(`${name} exited unexpectedly (code ${code}); see ${logs}/${name}.log`);
        void stopAll(1);
      }
    });
  }
} catch (err) {
  say(`failed: ${err.message}`);
  await stopAll(1);
}
