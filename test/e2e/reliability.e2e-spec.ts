import { Agent } from 'node:http';
import { copyFileSync, cpSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { spawnSync } from 'node:child_process';
import { ENTRY, NodeProcess, ROOT, freePort, graphql, startNode, waitFor } from '../support/node-process.js';
import { type AccessEntry, Nginx, nginxBinary } from '../support/nginx.js';
import { PG_ADMIN_URL, createTestDatabase, runSql } from '../support/postgres.js';
import { type BadInput, corpus } from './bad-input.js';
import { type Answer, Load, type LoadResult, post, send, stopAllLoads, succeeded } from './load.js';
import { type DrillFigures, type Report, writeReport } from './report.js';
import { TcpProxy } from './tcp-proxy.js';

// Reliability drills (SPEC §12): management + three work nodes from the built apps, behind the
// committed deploy/nginx/nginx.conf (a real nginx), on a real PostgreSQL core DB, with the
// conformance fixture as a PostgreSQL data source reached through a TCP proxy the test can cut.
// Figures go to $MUNINN_RELIABILITY_OUT (default: a JSON file in the temp dir); with
// MUNINN_RELIABILITY_DOC=1 they also replace the results section of docs/reliability.md.

const SECRET_KEY = 'drill-admin-key-5c1e9a7f';
const CLUSTER_SECRET = 'drill-cluster-secret-0b77d2c4';
const DS_PASSWORD = 'drill-ds-pw-94af31e8';
const FIXTURE = resolve(import.meta.dirname, '../engine/fixture');
const CONCURRENCY = 12;
const DATA_QUERY = '{ customers_by_pk(id: 1) { id name } }';
const NODE_QUERY = '{ function { core { info { node_name } } } }';
/** nginx's passive health window: fail_timeout of the committed upstream servers. */
const FAIL_TIMEOUT_MS = 5000;

const started: NodeProcess[] = [];
const workers: NodeProcess[] = [];
let core: { url: string; drop: () => Promise<void> };
let data: { url: string; drop: () => Promise<void> };
let role: string;
let proxy: TcpProxy;
let mgmt: NodeProcess;
let nginx: Nginx;
let nginxBin = 'nginx';
const suiteStarted = Date.now();
const drills: DrillFigures[] = [];
const details: Record<string, unknown> = {};

const since = (t: number) => Date.now() - t;
/** Progress lines on stderr with MUNINN_DRILL_TRACE=1 (Jest prints a file's output only at its end). */
const trace = (line: string) => {
  if (process.env.MUNINN_DRILL_TRACE) process.stderr.write(`[drill +${since(suiteStarted)} ms] ${line}\n`);
};
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const nodeName = (w: NodeProcess) => `w${workers.indexOf(w) + 1}`;
const address = (w: NodeProcess) => `127.0.0.1:${w.port}`;

const admin = <T>(query: string, variables?: Record<string, unknown>) =>
  graphql<T>(mgmt.url, SECRET_KEY, query, variables);

async function nodeStatuses(): Promise<Record<string, string>> {
  const res = await admin<{ nodes: { name: string; status: string }[] }>('{ nodes { name status } }');
  return Object.fromEntries((res.data?.nodes ?? []).map((n) => [n.name, n.status]));
}

async function allHealthy(): Promise<boolean> {
  const s = await nodeStatuses();
  return workers.every((w) => s[nodeName(w)] === 'HEALTHY');
}

/** Resolves once nginx has answered 200 from `w` for a request logged after entry `mark`. */
async function backInRotation(w: NodeProcess, mark: number): Promise<void> {
  await waitFor(
    `${nodeName(w)} back in nginx's rotation`,
    () =>
      nginx
        .accessLog()
        .slice(mark)
        .some((e) => e.status === 200 && e.upstreams.at(-1) === address(w)),
    FAIL_TIMEOUT_MS + 15_000,
    200,
  );
}

/** Requests that nginx had to send to more than one node (the retries the clients never saw). */
function retried(fromMark: number): number {
  return nginx
    .accessLog()
    .slice(fromMark)
    .filter((e) => e.upstreams.length > 1).length;
}

function record(
  drill: string,
  load: string,
  r: Pick<LoadResult, 'sent' | 'durationMs'>,
  failed: number,
  notes: string,
): DrillFigures {
  const figures = { drill, load, sent: r.sent, failed, durationMs: r.durationMs, notes, passed: false };
  drills.push(figures);
  return figures;
}

const describeFailures = (f: LoadResult['failures']) =>
  f.slice(0, 5).map((x) => `${x.status} ${x.body.slice(0, 200)}`);

// The drills restart processes for minutes: a concurrent `npm run build` would replace dist/
// under them. They run a private copy, inside the repository so that node_modules resolves.
const DIST = join(ROOT, 'dist');
const SNAPSHOT = join(ROOT, '.muninn', `drill-dist-${process.pid}`);

beforeAll(async () => {
  cpSync(DIST, SNAPSHOT, { recursive: true });
  for (const app of ['management', 'worker'] as const) {
    ENTRY[app] = ENTRY[app].replace(DIST, SNAPSHOT);
    if (!existsSync(ENTRY[app])) throw new Error(`${ENTRY[app]} missing: run \`npm run build\` first`);
  }
  const bin = (nginxBin = await nginxBinary());
  [core, data] = await Promise.all([
    createTestDatabase('muninn_drill_core'),
    createTestDatabase('muninn_drill_data'),
  ]);
  await runSql(data.url, readFileSync(resolve(FIXTURE, 'conf.sql'), 'utf8'));
  // A password-bearing login for the data source, so the logs can be checked for the password.
  role = `muninn_drill_${process.pid}`;
  await runSql(PG_ADMIN_URL, `CREATE ROLE ${role} LOGIN PASSWORD '${DS_PASSWORD}'`);
  await runSql(data.url, `GRANT SELECT ON ALL TABLES IN SCHEMA public TO ${role}`);
  const pg = new URL(PG_ADMIN_URL);
  proxy = new TcpProxy(await freePort(), { host: pg.hostname, port: Number(pg.port || 5432) });
  await proxy.open();

  mgmt = await startNode(
    'management',
    { CLUSTER_SECRET, SECRET_KEY, CORE_DB_PATH: core.url, CHECK: '1s', TIMEOUT: '2s', LOG_LEVEL: 'debug' },
    started,
  );
  const ports = [await freePort(), await freePort(), await freePort()];
  for (const [i, port] of ports.entries()) {
    const w = new NodeProcess('worker', port, {
      CLUSTER_SECRET,
      SECRET_KEY,
      CORE_DB_PATH: core.url,
      CLUSTER_MANAGEMENT_URL: mgmt.url,
      CLUSTER_NODE_NAME: `w${i + 1}`,
      CLUSTER_NODE_URL: `http://127.0.0.1:${port}`,
      CLUSTER_HEARTBEAT: '2s',
      // The defaults an operator gets: DRAIN_DELAY 1s, DRAIN_TIMEOUT 15s.
      LOG_LEVEL: 'debug',
    });
    workers.push(w);
    started.push(w.start());
  }
  await Promise.all(workers.map((w) => w.ready()));
  trace('management and 3 work nodes ready');
  await waitFor('three HEALTHY work nodes', allHealthy, 20_000, 250);

  const dsn = `postgres://${role}:${DS_PASSWORD}@127.0.0.1:${proxy.port}/${new URL(data.url).pathname.slice(1)}`;
  const sdl = readFileSync(resolve(FIXTURE, 'conf.graphql'), 'utf8');
  const res = await admin<{
    loadDataSource: { success: boolean; nodes: { node: string; success: boolean }[] };
  }>(
    `mutation ($input: DataSourceInput!) {
      createDataSource(input: $input) { name }
      loadDataSource(name: "conf") { success nodes { node success } }
    }`,
    {
      input: {
        name: 'conf',
        type: 'postgres',
        prefix: '',
        path: dsn,
        readOnly: true,
        catalogs: [{ name: 'conf', type: 'TEXT', sdl }],
      },
    },
  );
  expect(res.errors).toBeUndefined();
  expect(res.data!.loadDataSource.nodes.filter((n) => n.success)).toHaveLength(3);

  nginx = new Nginx(bin, await freePort(), ports);
  expect(nginx.test()).toMatch(/test is successful/);
  await nginx.start();
  trace(`nginx on ${nginx.port}`);
  details.setupMs = since(suiteStarted);
}, 180_000);

afterEach(stopAllLoads);

afterAll(async () => {
  await stopAllLoads();
  // MUNINN_DRILL_LOGS=<dir>: keep every process's output for a post-mortem.
  const logs = process.env.MUNINN_DRILL_LOGS;
  if (logs) {
    mkdirSync(logs, { recursive: true });
    for (const p of started)
      writeFileSync(join(logs, `${p === mgmt ? 'management' : nodeName(p)}.log`), p.log);
    if (nginx) writeFileSync(join(logs, 'nginx.log'), nginx.errors());
    if (nginx) copyFileSync(join(nginx.dir, 'access.log'), join(logs, 'access.log'));
  }
  await nginx?.stop();
  await Promise.all(started.map((p) => p.kill()));
  await proxy?.close();
  await Promise.all([core?.drop(), data?.drop()]);
  if (role) await runSql(PG_ADMIN_URL, `DROP ROLE IF EXISTS ${role}`);
  rmSync(SNAPSHOT, { recursive: true, force: true });
  if (drills.length === 0) return;
  const nginxVersion = spawnSync(nginxBin, ['-v'], { encoding: 'utf8' }).stderr.trim();
  const report: Report = {
    date: new Date().toISOString().slice(0, 10),
    command:
      'NODE_OPTIONS=--experimental-vm-modules npx jest --selectProjects e2e --testPathPatterns test/e2e',
    machine: `${cpus().length} CPUs (${cpus()[0]?.model.trim()}), Node ${process.version}, ${nginxVersion}`,
    totalMs: since(suiteStarted),
    drills,
    details,
  };
  const out = process.env.MUNINN_RELIABILITY_OUT ?? join(tmpdir(), 'muninn-reliability.json');
  writeReport(report, out, process.env.MUNINN_RELIABILITY_DOC === '1');
  process.stderr.write(`reliability figures: ${out}\n`);
}, 60_000);

describe('reliability drills behind nginx (real processes, real PostgreSQL, real nginx)', () => {
  it('1. spreads requests over every work node', async () => {
    const agent = new Agent({ keepAlive: true, maxSockets: 8 });
    const perNode: Record<string, number> = {};
    const total = 240;
    const t0 = Date.now();
    let next = 0;
    await Promise.all(
      Array.from({ length: 8 }, async () => {
        while (next++ < total) {
          const a = await post(agent, `${nginx.url}/query`, JSON.stringify({ query: NODE_QUERY }), {
            'content-type': 'application/json',
            'x-hugr-secret-key': SECRET_KEY,
          });
          expect(succeeded(a)).toBe(true);
          const name = (
            JSON.parse(a.body) as { data: { function: { core: { info: { node_name: string } } } } }
          ).data.function.core.info.node_name;
          perNode[name] = (perNode[name] ?? 0) + 1;
        }
      }),
    );
    agent.destroy();
    details.spread = perNode;
    const fig = record(
      '1. Spread',
      '8 connections',
      { sent: total, durationMs: since(t0) },
      0,
      `per node ${JSON.stringify(perNode).replace(/"/g, '')}`,
    );
    expect(Object.keys(perNode).sort()).toEqual(['w1', 'w2', 'w3']);
    const health = await fetch(`${nginx.url}/health`);
    expect([health.status, ((await health.json()) as { status: string }).status]).toEqual([200, 'ok']);
    // least_conn over equal nodes: no node gets less than half its fair share.
    for (const n of Object.values(perNode)) expect(n).toBeGreaterThanOrEqual(total / 3 / 2);
    fig.passed = true;
  });

  it('2. a rolling restart of every work node under load loses no request', async () => {
    const mark = nginx.accessLog().length;
    const load = new Load(nginx.url, SECRET_KEY, DATA_QUERY, CONCURRENCY).start();
    await sleep(1000);
    const steps: {
      node: string;
      exitCode: number | null;
      stopMs: number;
      readyMs: number;
      backInRotationMs: number;
    }[] = [];
    for (const w of workers) {
      const t0 = Date.now();
      const pid = w.pid;
      const exitCode = await w.stop('SIGTERM');
      const stopMs = since(t0);
      trace(`${nodeName(w)} exited ${exitCode} after ${stopMs} ms; ${JSON.stringify(load.count)}`);
      const logMark = nginx.accessLog().length;
      const t1 = Date.now();
      w.start();
      await w.ready();
      const readyMs = since(t1);
      trace(`${nodeName(w)} ready after ${readyMs} ms`);
      await backInRotation(w, logMark);
      expect(w.pid).not.toBe(pid);
      steps.push({ node: nodeName(w), exitCode, stopMs, readyMs, backInRotationMs: since(t1) });
    }
    await sleep(1000);
    const r = await load.stop();
    const retries = retried(mark);
    details.rollingRestart = { ...r, failures: describeFailures(r.failures), retriedByNginx: retries, steps };
    const fig = record(
      '2. Rolling restart (SIGTERM, restart, wait back in rotation; ×3)',
      `${CONCURRENCY} connections`,
      r,
      r.failures.length,
      `${r.perSecond} req/s, p99 ${r.p99Ms} ms; ${retries} requests retried by nginx on another node; ` +
        `SIGTERM→exit ${steps.map((s) => `${(s.stopMs / 1000).toFixed(1)} s (exit ${s.exitCode})`).join(', ')}; ` +
        `start→ready ${steps.map((s) => `${(s.readyMs / 1000).toFixed(1)} s`).join(', ')}`,
    );
    expect(describeFailures(r.failures)).toEqual([]);
    expect(r.sent).toBeGreaterThan(100);
    // §9.2: drain (DRAIN_DELAY 1 s) and in-flight requests, then exit 0, well inside the
    // DRAIN_DELAY + DRAIN_TIMEOUT + 5 s bound (21 s) that makes a node exit 1.
    expect(steps.map((s) => [s.node, s.exitCode, s.stopMs < 6000])).toEqual(
      steps.map((s) => [s.node, 0, true]),
    );
    fig.passed = true;
  }, 150_000);

  it('3. kill -9 of a node under load loses at most the requests in flight on it, then none', async () => {
    const victim = workers[1];
    const load = new Load(nginx.url, SECRET_KEY, DATA_QUERY, CONCURRENCY).start();
    await sleep(1000);
    const mark = nginx.accessLog().length;
    const killedAt = Date.now();
    await victim.stop('SIGKILL');
    trace(`w2 killed; ${JSON.stringify(load.count)}`);
    await sleep(FAIL_TIMEOUT_MS + 2000);
    const window = nginx.accessLog().slice(mark);
    const toDead = (entries: AccessEntry[]) =>
      entries.flatMap((e) => e.upstreams).filter((u) => u === address(victim)).length;
    const attemptsToDead = toDead(window);
    // After the first second (requests in flight at the kill, the refusals that mark it down):
    // only nginx's probes once per fail_timeout.
    const probes = toDead(window.filter((e) => e.at > killedAt + 1000));
    const inWindow = { ...load.count };
    // Back to three nodes, under the same load.
    const logMark = nginx.accessLog().length;
    const t1 = Date.now();
    victim.start();
    await victim.ready();
    await backInRotation(victim, logMark);
    const backMs = since(t1);
    const r = await load.stop();
    const lateFailures = r.failures.filter((f) => f.at > killedAt + 1000);
    details.kill9 = {
      ...r,
      failures: describeFailures(r.failures),
      windowAfterKill: { ms: FAIL_TIMEOUT_MS + 2000, ...inWindow },
      attemptsToDeadNode: attemptsToDead,
      attemptsToDeadNodeAfter1s: probes,
      retriedByNginx: retried(mark),
      lastFailureAfterKillMs: r.failures.length ? Math.max(...r.failures.map((f) => f.at - killedAt)) : null,
      restartBackInRotationMs: backMs,
    };
    const fig = record(
      '3. kill -9 of one work node, restarted after 7 s',
      `${CONCURRENCY} connections`,
      r,
      r.failures.length,
      `${inWindow.sent} requests in the 7 s after the kill; ${attemptsToDead} attempts reached the dead node ` +
        `(${probes} after the first second) and were retried on another; back in rotation ${(backMs / 1000).toFixed(1)} s after restart`,
    );
    expect(r.failures.length).toBeLessThanOrEqual(CONCURRENCY);
    expect(describeFailures(lateFailures)).toEqual([]);
    // Out of rotation: about one probe per fail_timeout (each of the 2 nginx workers may probe).
    expect(probes).toBeLessThanOrEqual(2 * Math.ceil((FAIL_TIMEOUT_MS + 1000) / FAIL_TIMEOUT_MS));
    fig.passed = true;
  }, 90_000);

  it('4. management down under load: every query succeeds; back up, the same work nodes are HEALTHY', async () => {
    const pids = workers.map((w) => w.pid);
    const load = new Load(nginx.url, SECRET_KEY, DATA_QUERY, 8).start();
    await sleep(500);
    const downAt = Date.now();
    await mgmt.stop('SIGKILL');
    trace(`management killed; ${JSON.stringify(load.count)}`);
    await sleep(5000);
    const duringDown = load.count;
    const t1 = Date.now();
    mgmt.start();
    await mgmt.ready();
    const downMs = since(downAt);
    await waitFor('every work node HEALTHY again', allHealthy, 20_000, 250);
    const healthyMs = since(t1);
    await sleep(500);
    const r = await load.stop();
    details.managementDown = { ...r, failures: describeFailures(r.failures), duringDown, downMs, healthyMs };
    expect(describeFailures(r.failures)).toEqual([]);
    expect(duringDown.sent).toBeGreaterThan(50);
    expect(workers.map((w) => w.pid)).toEqual(pids);
    expect(workers.every((w) => w.running)).toBe(true);
    const fig = record(
      '4. Management SIGKILL for 5 s, then restarted',
      '8 connections',
      r,
      r.failures.length,
      `${duringDown.sent} requests while management was down; all 3 nodes HEALTHY ${(healthyMs / 1000).toFixed(1)} s after restart, no work-node restart`,
    );
    fig.passed = true;
  }, 90_000);

  it('5. the data source down: clean errors, nodes up, other queries fine; back up: served again without a restart', async () => {
    const pids = workers.map((w) => w.pid);
    const other = new Load(nginx.url, SECRET_KEY, NODE_QUERY, 4).start();
    await sleep(300);
    const downAt = Date.now();
    await proxy.close();
    trace('data-source proxy closed');
    const agent = new Agent({ keepAlive: true, maxSockets: 6 });
    const send = () =>
      post(agent, `${nginx.url}/query`, JSON.stringify({ query: DATA_QUERY }), {
        'content-type': 'application/json',
        'x-hugr-secret-key': SECRET_KEY,
      });
    const answers: Answer[] = [];
    for (let i = 0; i < 10; i++) answers.push(...(await Promise.all(Array.from({ length: 6 }, send))));
    for (const a of answers) {
      expect(a.status).toBe(200);
      const body = JSON.parse(a.body) as { errors?: { message: string; extensions?: { code?: string } }[] };
      expect(body.errors?.[0].extensions?.code).toMatch(/^DATA_SOURCE_(ERROR|UNAVAILABLE)$/);
      expect(a.body).not.toMatch(/\n\s+at |postgres:\/\/|127\.0\.0\.1|stack/);
      expect(a.body).not.toContain(DS_PASSWORD);
      expect(a.body).not.toContain(role);
    }
    await sleep(1000);
    await proxy.open();
    const upAt = Date.now();
    // Served again by every node: poll through nginx until each node has answered the data query.
    const recovered = new Set<string>();
    await waitFor(
      'the data query to succeed on every node',
      async () => {
        const a = await post(
          agent,
          `${nginx.url}/query`,
          JSON.stringify({ query: `{ customers_by_pk(id: 1) { id } ${NODE_QUERY.slice(1, -1)} }` }),
          { 'content-type': 'application/json', 'x-hugr-secret-key': SECRET_KEY },
        );
        if (succeeded(a))
          recovered.add(
            (JSON.parse(a.body) as { data: { function: { core: { info: { node_name: string } } } } }).data
              .function.core.info.node_name,
          );
        return recovered.size === 3;
      },
      15_000,
      20,
    );
    const recoveryMs = since(upAt);
    agent.destroy();
    const r = await other.stop();
    details.dataSourceDown = {
      dataQueries: answers.length,
      codes: [
        ...new Set(
          answers.map(
            (a) =>
              (JSON.parse(a.body) as { errors: { extensions: { code: string } }[] }).errors[0].extensions
                .code,
          ),
        ),
      ],
      sampleError: (JSON.parse(answers[0].body) as { errors: { message: string }[] }).errors[0].message,
      downMs: upAt - downAt,
      recoveryMs,
      otherQueries: { ...r, failures: describeFailures(r.failures) },
    };
    expect(describeFailures(r.failures)).toEqual([]);
    expect(workers.map((w) => w.pid)).toEqual(pids);
    for (const w of workers) expect((await fetch(`${w.url}/health/live`)).status).toBe(200);
    const fig = record(
      '5. Data source unreachable (proxy closed, sockets destroyed), then reachable',
      `60 data queries + 4 connections of other queries`,
      { sent: answers.length + r.sent, durationMs: since(downAt) },
      r.failures.length,
      `data queries: HTTP 200 + ${(details.dataSourceDown as { codes: string[] }).codes.join('/')}, no DSN/stack; other queries all succeeded; served again ${recoveryMs} ms after the proxy reopened, no restart`,
    );
    fig.passed = true;
  }, 90_000);
  it('6. bad input through nginx: a clear 4xx or GraphQL error, no 5xx, no internals, no restart, no secret in a log', async () => {
    const pids = workers.map((w) => w.pid);
    const mark = nginx.accessLog().length;
    const cases = corpus();
    const agent = new Agent({ keepAlive: true, maxSockets: 4 });
    const problems: string[] = [];
    const byStatus: Record<string, number> = {};
    const slowest: { name: string; ms: number }[] = [];
    const leaks = [SECRET_KEY, CLUSTER_SECRET, DS_PASSWORD, role, 'postgres://'];
    const judge = (c: BadInput, a: Answer) => {
      byStatus[a.status] = (byStatus[a.status] ?? 0) + 1;
      slowest.push({ name: c.name, ms: Math.round(a.ms) });
      const fail = (why: string) =>
        problems.push(`${c.name}: ${why} (HTTP ${a.status}: ${a.body.slice(0, 160)})`);
      if (a.status === 0 || a.status >= 500) return fail('no 5xx expected');
      if (/\n\s+at |\bat [\w.<>]+ \(|node_modules|\/work\//.test(a.body))
        fail('stack trace or path in the answer');
      for (const secret of leaks)
        if (a.body.includes(secret)) fail(`answer contains ${secret.slice(0, 12)}…`);
      if (c.notJson) return c.expect === 'rejected' && a.status < 400 ? fail('expected 4xx') : undefined;
      let body: {
        data?: unknown;
        errors?: { message?: unknown; extensions?: { code?: unknown } }[];
        message?: unknown;
      };
      try {
        body = JSON.parse(a.body) as typeof body;
      } catch {
        return fail('answer is not JSON');
      }
      const codedErrors =
        Array.isArray(body.errors) &&
        body.errors.length > 0 &&
        body.errors.every((e) => typeof e.message === 'string' && typeof e.extensions?.code === 'string');
      if (a.status >= 400) {
        if (c.expect === 'graphql-error' || c.expect === 'answered') fail('expected HTTP 200');
        if (!codedErrors && typeof body.message !== 'string') fail('4xx without a message');
        return;
      }
      if (c.expect === 'rejected') return fail('expected 4xx');
      if (body.errors !== undefined && !codedErrors) return fail('GraphQL error without message and code');
      if (c.expect === 'graphql-error' && !codedErrors) return fail('expected a GraphQL error');
      if (c.expect === 'answered' && !codedErrors && (body.data === undefined || body.data === null))
        fail('neither data nor errors');
    };
    const t0 = Date.now();
    let next = 0;
    await Promise.all(
      Array.from({ length: 4 }, async () => {
        while (next < cases.length) {
          const c = cases[next++];
          const headers: Record<string, string> = {
            ...(c.anonymous ? {} : { 'x-hugr-secret-key': SECRET_KEY }),
            ...c.headers,
          };
          if (c.contentType !== null && c.body !== undefined)
            headers['content-type'] = c.contentType ?? 'application/json';
          judge(
            c,
            await send(
              agent,
              `${nginx.url}${c.path ?? '/query'}`,
              { method: c.method, body: c.body, headers },
              60_000,
            ),
          );
        }
      }),
    );
    agent.destroy();
    const durationMs = since(t0);
    slowest.sort((a, b) => b.ms - a.ms);
    // nginx never answered 5xx either (a retried attempt would show here too).
    const fiveXX = nginx
      .accessLog()
      .slice(mark)
      .filter((e) => e.status >= 500 || e.upstreamStatuses.some((s) => s.startsWith('5')));
    // The fixture is intact.
    const rows = await post(
      new Agent(),
      `${nginx.url}/query`,
      JSON.stringify({ query: '{ customers { id } orders { id } tags { name } }' }),
      {
        'content-type': 'application/json',
        'x-hugr-secret-key': SECRET_KEY,
      },
    );
    const counts = Object.values((JSON.parse(rows.body) as { data: Record<string, unknown[]> }).data).map(
      (l) => l.length,
    );
    details.badInput = { cases: cases.length, durationMs, byStatus, slowest: slowest.slice(0, 5), problems };
    const fig = record(
      '6. Bad-input corpus through nginx',
      '4 connections',
      { sent: cases.length, durationMs },
      problems.length,
      `answers by status ${JSON.stringify(byStatus).replace(/"/g, '')}; slowest: ${slowest
        .slice(0, 2)
        .map((x) => `${x.name} ${x.ms} ms`)
        .join(', ')}`,
    );
    expect(problems).toEqual([]);
    expect(fiveXX.length).toBe(0);
    expect(counts).toEqual([5, 8, 4]);
    expect(workers.map((w) => w.pid)).toEqual(pids);
    for (const w of workers) expect((await fetch(`${w.url}/health/live`)).status).toBe(200);
    // No secret in any process's output, over the whole run (every drill, every restart).
    for (const p of started) {
      for (const secret of [SECRET_KEY, CLUSTER_SECRET, DS_PASSWORD, `${role}:`]) {
        expect([p === mgmt ? 'management' : nodeName(p), p.log.includes(secret)]).toEqual([
          p === mgmt ? 'management' : nodeName(p),
          false,
        ]);
      }
    }
    fig.passed = true;
  }, 120_000);
});
