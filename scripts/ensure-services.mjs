#!/usr/bin/env node
// Makes sure the services the test suite needs (PostgreSQL, Redis, MariaDB) are reachable on
// 127.0.0.1, installing (apt) and starting them when missing, and that the memcached
// binary (tests start their own memcached on a free port), Chromium (headless browser
// tests of the admin UI) and nginx (the reliability drills start their own nginx) are
// installed. Meant for a fresh Debian 12 machine/container running as root, without systemd.
//
//   node scripts/ensure-services.mjs [--no-postgres] [--no-redis] [--no-memcached] [--no-chromium] [--no-nginx] [--no-mariadb]
//
// Programmatic use:
//   import { ensureServices, ensureMemcachedBinary, ensureChromium, ensureNginx, createDatabase, dropDatabase } from './ensure-services.mjs';
//
// Only Node built-ins are used.

import { execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const PG_HOST = '127.0.0.1';
const PG_PORT = 5432;
const PG_USER = 'postgres';
const PG_CLUSTER = 'main';
const PG_CONF_ROOT = '/etc/postgresql';
const PG_LIB_ROOT = '/usr/lib/postgresql';
const PG_RUN_DIR = '/var/run/postgresql';
const PG_START_DEADLINE_MS = 60_000;

const REDIS_HOST = '127.0.0.1';
const REDIS_PORT = 6379;
const REDIS_DIR = '/var/lib/redis';
const REDIS_LOG = '/var/log/redis/ci.log';
const REDIS_START_DEADLINE_MS = 30_000;

const POLL_INTERVAL_MS = 500;
const HBA_MARK_BEGIN = '# >>> ensure-services.mjs: trust auth for local test connections';
const HBA_MARK_END = '# <<< ensure-services.mjs';

const DB_NAME_RE = /^[a-z0-9_]+$/;

// ---------------------------------------------------------------------------
// generic helpers

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

function defaultLog(line) {
  process.stderr.write(`${line}\n`);
}

/** Absolute path of an executable found on PATH (plus the sbin dirs), or null. */
function which(cmd) {
  const dirs = new Set([...(process.env.PATH ?? '').split(path.delimiter), '/usr/sbin', '/sbin']);
  for (const dir of dirs) {
    if (!dir) continue;
    const candidate = path.join(dir, cmd);
    try {
      fs.accessSync(candidate, fs.constants.X_OK);
      if (fs.statSync(candidate).isFile()) return candidate;
    } catch {
      // not here
    }
  }
  return null;
}

/**
 * Runs a command without a shell, capturing output.
 * Resolves { code, stdout, stderr }; code is 127 when the command cannot be spawned
 * and 124 when it was killed after timeoutMs.
 */
function run(cmd, args, { timeoutMs = 0, env } = {}) {
  return new Promise((resolve) => {
    let stdout = '';
    let stderr = '';
    let timedOut = false;
    let child;
    try {
      child = spawn(cmd, args, {
        stdio: ['ignore', 'pipe', 'pipe'],
        env: { ...process.env, ...env },
      });
    } catch (err) {
      resolve({ code: 127, stdout, stderr: String(err?.message ?? err) });
      return;
    }
    const timer =
      timeoutMs > 0
        ? setTimeout(() => {
            timedOut = true;
            child.kill('SIGKILL');
          }, timeoutMs)
        : null;
    child.stdout.setEncoding('utf8').on('data', (d) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d) => (stderr += d));
    child.on('error', (err) => {
      if (timer) clearTimeout(timer);
      resolve({ code: 127, stdout, stderr: stderr + String(err?.message ?? err) });
    });
    child.on('close', (code, signal) => {
      if (timer) clearTimeout(timer);
      if (timedOut) resolve({ code: 124, stdout, stderr: `${stderr}\n(timed out after ${timeoutMs} ms)` });
      else resolve({ code: code ?? (signal ? 128 : 1), stdout, stderr });
    });
  });
}

function tail(text, lines = 15) {
  return String(text ?? '')
    .trimEnd()
    .split('\n')
    .slice(-lines)
    .join('\n');
}

function tailFile(file, lines = 20) {
  try {
    return tail(fs.readFileSync(file, 'utf8'), lines);
  } catch {
    return `(cannot read ${file})`;
  }
}

/** Resolves true when a TCP connection to host:port succeeds within timeoutMs. */
function tcpReachable(host, port, timeoutMs = 1000) {
  return new Promise((resolve) => {
    const socket = net.connect({ host, port });
    const done = (ok) => {
      socket.removeAllListeners();
      socket.on('error', () => {});
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

let aptUpdated = false;

async function aptInstall(pkg, log, label) {
  if (!which('apt-get')) throw new Error(`${label}: ${pkg} is not installed and apt-get is not available`);
  const env = { DEBIAN_FRONTEND: 'noninteractive' };
  if (!aptUpdated) {
    log(`${label}: apt-get update…`);
    const r = await run('apt-get', ['update'], { env });
    if (r.code !== 0) {
      throw new Error(`${label}: apt-get update failed (exit ${r.code}):\n${tail(r.stderr || r.stdout)}`);
    }
    aptUpdated = true;
  }
  log(`${label}: apt-get install -y ${pkg}…`);
  const r = await run('apt-get', ['install', '-y', '--no-install-recommends', pkg], { env });
  if (r.code !== 0) {
    throw new Error(
      `${label}: apt-get install ${pkg} failed (exit ${r.code}):\n${tail(r.stderr || r.stdout)}`,
    );
  }
}

// ---------------------------------------------------------------------------
// PostgreSQL

const PG_AUTH_ERROR_RE =
  /password authentication failed|no password supplied|fe_sendauth|peer authentication failed|ident authentication failed|no pg_hba\.conf entry/i;

function psqlArgs(extra) {
  // -w: never prompt for a password (would hang); -X: ignore ~/.psqlrc.
  return ['-X', '-w', '-h', PG_HOST, '-p', String(PG_PORT), '-U', PG_USER, ...extra];
}

const psqlEnv = { PGCONNECT_TIMEOUT: '3', PGDATABASE: 'postgres' };

/**
 * { ok, tcp, authError, detail }: ok when the TCP port accepts connections and (if psql
 * is installed) `select 1` succeeds as user postgres without a password.
 */
async function probePostgres() {
  const tcp = await tcpReachable(PG_HOST, PG_PORT);
  if (!tcp) return { ok: false, tcp, authError: false, detail: `nothing listens on ${PG_HOST}:${PG_PORT}` };
  if (!which('psql')) return { ok: true, tcp, authError: false, detail: 'tcp ok (psql not installed)' };
  const r = await run('psql', psqlArgs(['-Atc', 'select 1']), { timeoutMs: 10_000, env: psqlEnv });
  if (r.code === 0 && r.stdout.trim() === '1') {
    return { ok: true, tcp, authError: false, detail: 'select 1 ok' };
  }
  const detail = tail(r.stderr || r.stdout, 3) || `psql exit ${r.code}`;
  return { ok: false, tcp, authError: PG_AUTH_ERROR_RE.test(detail), detail };
}

function compareVersionsDesc(a, b) {
  return Number.parseFloat(b) - Number.parseFloat(a) || b.localeCompare(a);
}

/** Version (dir name under /etc/postgresql) of the highest-versioned `main` cluster, or null. */
function findClusterVersion() {
  let entries;
  try {
    entries = fs.readdirSync(PG_CONF_ROOT);
  } catch {
    return null;
  }
  const versions = entries.filter((v) =>
    fs.existsSync(path.join(PG_CONF_ROOT, v, PG_CLUSTER, 'postgresql.conf')),
  );
  return versions.sort(compareVersionsDesc)[0] ?? null;
}

function installedServerVersion() {
  try {
    return (
      fs
        .readdirSync(PG_LIB_ROOT)
        .filter((v) => fs.existsSync(path.join(PG_LIB_ROOT, v, 'bin', 'postgres')))
        .sort(compareVersionsDesc)[0] ?? null
    );
  } catch {
    return null;
  }
}

function pgLogFile(version) {
  return `/var/log/postgresql/postgresql-${version}-${PG_CLUSTER}.log`;
}

async function pgctl(version, action) {
  return run('pg_ctlcluster', ['--skip-systemctl-redirect', version, PG_CLUSTER, action], {
    timeoutMs: 90_000,
  });
}

/** The socket dir lives on a tmpfs in some containers and vanishes on restart. */
async function ensurePgRunDir() {
  if (fs.existsSync(PG_RUN_DIR)) return;
  await run('install', ['-d', '-o', 'postgres', '-g', 'postgres', '-m', '2775', PG_RUN_DIR]);
}

/**
 * Puts `trust` entries for local sockets, 127.0.0.1/32 and ::1/128 at the top of the
 * cluster's pg_hba.conf (pg_hba is first-match, so they win over the packaged
 * peer/scram-sha-256 lines). Keeps a one-time backup as pg_hba.conf.orig.
 * Returns false when the block was already present.
 */
function enableTrustAuth(hbaFile) {
  const text = fs.readFileSync(hbaFile, 'utf8');
  if (text.includes(HBA_MARK_BEGIN)) return false;
  const backup = `${hbaFile}.orig`;
  if (!fs.existsSync(backup)) fs.copyFileSync(hbaFile, backup);
  const block = [
    HBA_MARK_BEGIN,
    'local   all             all                                     trust',
    'host    all             all             127.0.0.1/32            trust',
    'host    all             all             ::1/128                 trust',
    HBA_MARK_END,
    '',
  ].join('\n');
  fs.writeFileSync(hbaFile, block + text);
  return true;
}

async function ensurePostgres(log) {
  const label = 'postgres';
  let probe = await probePostgres();
  if (probe.ok) {
    log(`${label}: reachable`);
    return;
  }

  let version = null;
  if (!probe.tcp) {
    log(`${label}: not reachable, starting…`);
    if (!which('pg_ctlcluster')) await aptInstall('postgresql', log, label);
    version = findClusterVersion();
    if (!version) {
      const serverVersion = installedServerVersion();
      if (!serverVersion) {
        throw new Error(`${label}: no cluster in ${PG_CONF_ROOT} and no server in ${PG_LIB_ROOT}`);
      }
      log(`${label}: creating cluster ${serverVersion}/${PG_CLUSTER}…`);
      const r = await run('pg_createcluster', ['--port', String(PG_PORT), serverVersion, PG_CLUSTER]);
      if (r.code !== 0) throw new Error(`${label}: pg_createcluster failed:\n${tail(r.stderr || r.stdout)}`);
      version = serverVersion;
    }
    // The package's postinst may already have started the cluster.
    probe = await probePostgres();
    if (!probe.tcp) {
      await ensurePgRunDir();
      const r = await pgctl(version, 'start');
      if (r.code !== 0 && !/already running/i.test(r.stderr + r.stdout)) {
        throw new Error(
          `${label}: pg_ctlcluster ${version} ${PG_CLUSTER} start failed (exit ${r.code}):\n` +
            `${tail(r.stderr || r.stdout)}\n--- ${pgLogFile(version)} ---\n${tailFile(pgLogFile(version))}`,
        );
      }
    }
  } else {
    log(`${label}: port ${PG_PORT} open but query failed (${probe.detail.split('\n')[0]}), waiting…`);
  }

  // Poll until `select 1` works; on an auth failure switch the cluster to trust once.
  const deadline = Date.now() + PG_START_DEADLINE_MS;
  let trustPatched = false;
  for (;;) {
    probe = await probePostgres();
    if (probe.ok) break;
    if (probe.authError && !trustPatched) {
      version ??= which('pg_ctlcluster') ? findClusterVersion() : null;
      if (!version) {
        throw new Error(
          `${label}: authentication as ${PG_USER} failed and no local cluster to fix:\n${probe.detail}`,
        );
      }
      const hbaFile = path.join(PG_CONF_ROOT, version, PG_CLUSTER, 'pg_hba.conf');
      log(`${label}: enabling trust auth for local/127.0.0.1/::1 in ${hbaFile}…`);
      enableTrustAuth(hbaFile);
      const r = await pgctl(version, 'reload');
      if (r.code !== 0) {
        throw new Error(`${label}: reload failed (exit ${r.code}):\n${tail(r.stderr || r.stdout)}`);
      }
      trustPatched = true;
      continue;
    }
    if (Date.now() >= deadline) {
      let extra = '';
      if (which('pg_lsclusters')) {
        extra += `\n--- pg_lsclusters ---\n${(await run('pg_lsclusters', [])).stdout.trimEnd()}`;
      }
      if (version) extra += `\n--- ${pgLogFile(version)} ---\n${tailFile(pgLogFile(version))}`;
      throw new Error(
        `${label}: not ready on ${PG_HOST}:${PG_PORT} after ${PG_START_DEADLINE_MS / 1000} s: ${probe.detail}${extra}`,
      );
    }
    await sleep(POLL_INTERVAL_MS);
  }
  log(`${label}: ready`);
}

// ---------------------------------------------------------------------------
// Redis

/**
 * Sends PING (RESP) and resolves { ok, tcp, reply }: ok when the reply is +PONG.
 */
function redisPing(host = REDIS_HOST, port = REDIS_PORT, timeoutMs = 1000) {
  return new Promise((resolve) => {
    const socket = new net.Socket();
    let connected = false;
    let buffer = '';
    const done = (ok, reply) => {
      socket.removeAllListeners();
      socket.on('error', () => {});
      socket.destroy();
      resolve({ ok, tcp: connected, reply });
    };
    socket.setTimeout(timeoutMs, () =>
      done(false, connected ? 'timeout waiting for PING reply' : 'connect timeout'),
    );
    socket.once('error', (err) => done(false, err.code ?? err.message));
    socket.once('close', () => done(false, buffer || 'connection closed'));
    socket.on('data', (chunk) => {
      buffer += chunk.toString('latin1');
      const eol = buffer.indexOf('\r\n');
      if (eol === -1) return;
      const line = buffer.slice(0, eol);
      done(line === '+PONG', line);
    });
    socket.connect({ host, port }, () => {
      connected = true;
      socket.write('*1\r\n$4\r\nPING\r\n');
    });
  });
}

async function ensureRedis(log) {
  const label = 'redis';
  let ping = await redisPing();
  if (ping.ok) {
    log(`${label}: reachable`);
    return;
  }

  if (ping.tcp) {
    // Something listens (e.g. redis still -LOADING, or requires AUTH): don't start a second server.
    log(`${label}: port ${REDIS_PORT} open but PING replied ${JSON.stringify(ping.reply)}, waiting…`);
  } else {
    log(`${label}: not reachable, starting…`);
    if (!which('redis-server')) {
      await aptInstall('redis-server', log, label);
      ping = await redisPing(); // the package's postinst may have started it
    }
    if (!ping.tcp) {
      fs.mkdirSync(REDIS_DIR, { recursive: true });
      fs.mkdirSync(path.dirname(REDIS_LOG), { recursive: true });
      // prettier-ignore
      const args = [
        '--daemonize', 'yes',
        '--bind', '127.0.0.1', '-::1', // '-' prefix: don't fail when IPv6 is unavailable
        '--port', String(REDIS_PORT),
        '--save', '',
        '--appendonly', 'no',
        '--dir', REDIS_DIR,
        '--logfile', REDIS_LOG,
      ];
      // With --daemonize yes the command returns once the server has forked.
      const r = await run('redis-server', args, { timeoutMs: 30_000 });
      if (r.code !== 0) {
        throw new Error(
          `${label}: redis-server failed to start (exit ${r.code}):\n${tail(r.stderr || r.stdout)}\n` +
            `--- ${REDIS_LOG} ---\n${tailFile(REDIS_LOG)}`,
        );
      }
    }
  }

  const deadline = Date.now() + REDIS_START_DEADLINE_MS;
  for (;;) {
    ping = await redisPing();
    if (ping.ok) break;
    if (Date.now() >= deadline) {
      throw new Error(
        `${label}: no +PONG from ${REDIS_HOST}:${REDIS_PORT} after ${REDIS_START_DEADLINE_MS / 1000} s ` +
          `(last: ${ping.reply})\n--- ${REDIS_LOG} ---\n${tailFile(REDIS_LOG)}`,
      );
    }
    await sleep(POLL_INTERVAL_MS);
  }
  log(`${label}: ready`);
}

// ---------------------------------------------------------------------------
// memcached (binary only: tests start their own server on a free loopback port)

/**
 * Installs the Debian `memcached` package when the binary is missing. The package's
 * postinst may start a daemon on 11211; tests do not rely on it.
 * @param {{ log?: (line: string) => void }} [options]
 * @returns {Promise<string>} absolute path of the memcached binary
 */
export async function ensureMemcachedBinary({ log = defaultLog } = {}) {
  const label = 'memcached';
  let bin = which('memcached');
  if (bin) {
    log(`${label}: installed (${bin})`);
    return bin;
  }
  log(`${label}: binary not found, installing…`);
  await aptInstall('memcached', log, label);
  bin = which('memcached');
  if (!bin) throw new Error(`${label}: apt-get install memcached succeeded but no memcached binary on PATH`);
  log(`${label}: installed (${bin})`);
  return bin;
}

// ---------------------------------------------------------------------------
// Chromium (binary only: browser tests launch it themselves through playwright-core)

const CHROMIUM_BINARIES = ['chromium', 'chromium-browser'];

/**
 * Installs the Debian `chromium` package when no Chromium binary is on PATH. Playwright's own
 * browser download cannot be used (it fetches from outside the package registries).
 * @param {{ log?: (line: string) => void }} [options]
 * @returns {Promise<string>} absolute path of the chromium binary (usually /usr/bin/chromium)
 */
export async function ensureChromium({ log = defaultLog } = {}) {
  const label = 'chromium';
  const find = () => CHROMIUM_BINARIES.map(which).find(Boolean) ?? null;
  let bin = find();
  if (bin) {
    log(`${label}: installed (${bin})`);
    return bin;
  }
  log(`${label}: binary not found, installing…`);
  await aptInstall('chromium', log, label);
  bin = find();
  if (!bin) throw new Error(`${label}: apt-get install chromium succeeded but no chromium binary on PATH`);
  log(`${label}: installed (${bin})`);
  return bin;
}

// ---------------------------------------------------------------------------
// nginx (binary only: the drills start their own nginx with its own prefix on free ports)

/**
 * Installs the Debian `nginx` package when the binary is missing. Without systemd the package's
 * postinst may start a default server on port 80 (or fail to, when the port is taken: dpkg still
 * succeeds); the drills do not use it.
 * @param {{ log?: (line: string) => void }} [options]
 * @returns {Promise<string>} absolute path of the nginx binary (usually /usr/sbin/nginx)
 */
export async function ensureNginx({ log = defaultLog } = {}) {
  const label = 'nginx';
  let bin = which('nginx');
  if (bin) {
    log(`${label}: installed (${bin})`);
    return bin;
  }
  log(`${label}: binary not found, installing…`);
  await aptInstall('nginx', log, label);
  bin = which('nginx');
  if (!bin) throw new Error(`${label}: apt-get install nginx succeeded but no nginx binary on PATH`);
  log(`${label}: installed (${bin})`);
  return bin;
}

// ---------------------------------------------------------------------------
// MariaDB (127.0.0.1:3306; the mysql-dialect engine tests make their own databases and user)

const MARIADB_PORT = 3306;
const MARIADB_RUN_DIR = '/run/mysqld';
const MARIADB_START_DEADLINE_MS = 60_000;

async function ensureMariaDb(log) {
  const label = 'mariadb';
  if (await tcpReachable('127.0.0.1', MARIADB_PORT)) {
    log(`${label}: reachable`);
    return;
  }
  log(`${label}: not reachable, starting…`);
  if (!which('mariadbd') && !which('mysqld')) await aptInstall('mariadb-server', log, label);
  if (!(await tcpReachable('127.0.0.1', MARIADB_PORT))) {
    fs.mkdirSync(MARIADB_RUN_DIR, { recursive: true });
    try {
      execFileSync('chown', ['mysql:mysql', MARIADB_RUN_DIR]);
    } catch {
      // not root or no mysql user: mysqld_safe reports what is wrong
    }
    // No systemd here: mysqld_safe supervises the server in the background.
    const child = spawn('mysqld_safe', ['--bind-address=127.0.0.1', `--port=${MARIADB_PORT}`], {
      detached: true,
      stdio: 'ignore',
    });
    child.unref();
  }
  const deadline = Date.now() + MARIADB_START_DEADLINE_MS;
  while (!(await tcpReachable('127.0.0.1', MARIADB_PORT))) {
    if (Date.now() >= deadline)
      throw new Error(
        `${label}: nothing listens on 127.0.0.1:${MARIADB_PORT} after ${MARIADB_START_DEADLINE_MS / 1000} s`,
      );
    await sleep(POLL_INTERVAL_MS);
  }
  log(`${label}: ready`);
}

// ---------------------------------------------------------------------------
// public API

/**
 * Ensures PostgreSQL (127.0.0.1:5432, user postgres, trust auth) and/or Redis
 * (127.0.0.1:6379) are reachable, installing/starting them if needed, and that the
 * memcached, chromium and nginx binaries are installed.
 * Services are handled one after the other (apt/dpkg cannot run concurrently).
 * Rejects with an Error describing every service that could not be brought up.
 *
 * @param {{ postgres?: boolean, redis?: boolean, memcached?: boolean, chromium?: boolean, nginx?: boolean, mariadb?: boolean, log?: (line: string) => void }} [options]
 *   log defaults to writing the line to stderr.
 * @returns {Promise<void>}
 */
export async function ensureServices({
  postgres = true,
  redis = true,
  memcached = true,
  chromium = true,
  nginx = true,
  mariadb = true,
  log = defaultLog,
} = {}) {
  const failures = [];
  if (mariadb) {
    try {
      await ensureMariaDb(log);
    } catch (err) {
      failures.push(err);
    }
  }
  if (postgres) {
    try {
      await ensurePostgres(log);
    } catch (err) {
      failures.push(err);
    }
  }
  if (redis) {
    try {
      await ensureRedis(log);
    } catch (err) {
      failures.push(err);
    }
  }
  if (memcached) {
    try {
      await ensureMemcachedBinary({ log });
    } catch (err) {
      failures.push(err);
    }
  }
  if (chromium) {
    try {
      await ensureChromium({ log });
    } catch (err) {
      failures.push(err);
    }
  }
  if (nginx) {
    try {
      await ensureNginx({ log });
    } catch (err) {
      failures.push(err);
    }
  }
  if (failures.length === 1) throw failures[0];
  if (failures.length > 1) throw new Error(failures.map((e) => e.message).join('\n\n'));
}

function validateDbName(name) {
  if (typeof name !== 'string' || !DB_NAME_RE.test(name) || name.length > 63) {
    throw new Error(`invalid database name ${JSON.stringify(name)}: must match ${DB_NAME_RE} (max 63 chars)`);
  }
}

async function psqlCommand(sql) {
  if (!which('psql')) {
    throw new Error('psql not found (install postgresql-client, or run ensureServices first)');
  }
  return run('psql', psqlArgs(['-v', 'ON_ERROR_STOP=1', '-c', sql]), { timeoutMs: 60_000, env: psqlEnv });
}

/**
 * Creates database `name` (owner postgres) unless it already exists.
 * @param {string} name must match /^[a-z0-9_]+$/
 * @returns {Promise<boolean>} true if created, false if it already existed
 */
export async function createDatabase(name) {
  validateDbName(name);
  for (let attempt = 1; ; attempt++) {
    const r = await psqlCommand(`CREATE DATABASE "${name}"`);
    if (r.code === 0) return true;
    const msg = r.stderr || r.stdout;
    // "already exists", or the unique-index error a concurrent CREATE of the same name can raise.
    if (/already exists|pg_database_datname_index/i.test(msg)) return false;
    // Concurrent CREATE DATABASE while someone is connected to template1: retry briefly.
    if (/is being accessed by other users/i.test(msg) && attempt < 10) {
      await sleep(200 * attempt);
      continue;
    }
    throw new Error(`CREATE DATABASE "${name}" failed (exit ${r.code}): ${msg.trim()}`);
  }
}

/**
 * Drops database `name` if it exists, terminating open connections to it.
 * @param {string} name must match /^[a-z0-9_]+$/
 * @returns {Promise<void>}
 */
export async function dropDatabase(name) {
  validateDbName(name);
  const r = await psqlCommand(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
  if (r.code !== 0) {
    throw new Error(`DROP DATABASE "${name}" failed (exit ${r.code}): ${(r.stderr || r.stdout).trim()}`);
  }
}

// ---------------------------------------------------------------------------
// CLI

function isMain() {
  if (!process.argv[1]) return false;
  try {
    return fs.realpathSync(process.argv[1]) === fs.realpathSync(fileURLToPath(import.meta.url));
  } catch {
    return false;
  }
}

if (isMain()) {
  const args = new Set(process.argv.slice(2));
  const flags = [
    '--no-postgres',
    '--no-redis',
    '--no-memcached',
    '--no-chromium',
    '--no-nginx',
    '--no-mariadb',
  ];
  for (const a of args) {
    if (!flags.includes(a)) {
      process.stderr.write(`usage: node scripts/ensure-services.mjs [${flags.join('] [')}]\n`);
      process.exit(2);
    }
  }
  ensureServices({
    postgres: !args.has('--no-postgres'),
    redis: !args.has('--no-redis'),
    memcached: !args.has('--no-memcached'),
    chromium: !args.has('--no-chromium'),
    nginx: !args.has('--no-nginx'),
    mariadb: !args.has('--no-mariadb'),
  }).then(
    () => process.exit(0),
    (err) => {
      process.stderr.write(`ensure-services: ${err?.message ?? err}\n`);
      process.exit(1);
    },
  );
}
