// Benchmark: one query on a Muninn work node uncached and served from the result cache (SPEC §12:
// L1 hits at least 3× the uncached throughput), autocannon side by side in one run. Writes the
// section "Cache (L1 hit) vs uncached" of docs/benchmarks.md from the run; the rest of the file
// stays as bench/run.mjs wrote it.
//
//   npm run build && npm run bench:cache
//
// Variants, all the same query (a shape of bench/targets.mjs) with the same answer:
//   uncached  no directive: every request reaches PostgreSQL (work node `bench-l1`)
//   L1 hit    `@cache(ttl: 300)` on the root field, work node `bench-l1` (CACHE_L1_ENABLED=true,
//             CACHE_L1_MAX_SIZE default, no L2): every request after the first is an L1 hit
//   L2 hit    the same, on work node `bench-l2` (L1 off, L2 = a redis-server started for the run)
//   floor     not Muninn: bench/peers/fixed-body.mjs, node:http answering every request with the
//             same text (the uncached answer): what this machine allows any cache hit at most
//
// Environment (all optional):
//   BENCH_DURATION, BENCH_WARMUP, BENCH_CONNECTIONS, BENCH_ROUNDS, BENCH_STRICT   as bench/run.mjs
//   BENCH_CACHE_SHAPE  the query: shape a–e of bench/targets.mjs (default a)
//   BENCH_CACHE_L2     1 / 0: measure the L2 variant (default: when redis-server is on PATH)
//   BENCH_OUT          markdown file to write the section into (default docs/benchmarks.md;
//                      `-` writes none)
//
// Every child process (Muninn, redis-server) and both databases are removed at the end, also after a
// failure or Ctrl-C.

import { execFileSync } from 'node:child_process';
import os from 'node:os';
import { relative, resolve } from 'node:path';
import { parse } from 'graphql';
import { BENCH_DB, CUSTOMERS, ORDERS, createBenchDatabase, serverVersion, withClient } from './data.mjs';
import { Child, ROOT, fatal, freePort, postJson, progress, waitFor } from './lib.mjs';
import { loadConfig, measureRounds, runBenchmark } from './measure.mjs';
import { commandLine, machineFacts, mdTable, textTable, writeSection } from './report.mjs';
import { MuninnTarget, SHAPES, answerSummary, graphqlData } from './targets.mjs';

const FIXED_BODY = resolve(ROOT, 'bench/peers/fixed-body.mjs');

const GOAL = 3; // SPEC §12: cached (L1 hit) ≥ 3× uncached
const TTL_S = 300;
/** Added to every order's total in SQL to show that cached answers do not come from the database. */
const BUMP = 1000;
const SECTION_OWNER = 'bench/cache.mjs';
/** CPU (100 = one CPU) used by other processes during a measurement from which the run is called noisy. */
const NOISY_CPU_PERCENT = 20;

function readConfig() {
  const shape = (process.env.BENCH_CACHE_SHAPE ?? 'a').trim() || 'a';
  if (!SHAPES[shape])
    throw new Error(`BENCH_CACHE_SHAPE: unknown shape "${shape}" (use ${Object.keys(SHAPES).join(', ')})`);
  const l2Raw = process.env.BENCH_CACHE_L2?.trim();
  if (l2Raw && !/^(0|1|true|false|yes|no)$/i.test(l2Raw))
    throw new Error(`BENCH_CACHE_L2=${l2Raw}: expected 1 or 0`);
  const out = process.env.BENCH_OUT?.trim() || 'docs/benchmarks.md';
  return {
    ...loadConfig(),
    shape,
    // undefined: measure L2 when redis-server is there
    l2: l2Raw ? /^(1|true|yes)$/i.test(l2Raw) : undefined,
    out: out === '-' ? undefined : resolve(ROOT, out),
  };
}

/** `query` with `@cache(ttl: …)` on each root field (inserted in the text, the rest unchanged). */
function withCacheDirective(query, ttl = TTL_S) {
  const op = parse(query).definitions.find((d) => d.kind === 'OperationDefinition');
  const at = op.selectionSet.selections
    .filter((s) => s.kind === 'Field')
    .map((f) => (f.selectionSet ? f.selectionSet.loc.start : f.loc.end))
    .sort((a, b) => b - a);
  let out = query;
  for (const i of at) out = `${out.slice(0, i).trimEnd()} @cache(ttl: ${ttl}) ${out.slice(i).trimStart()}`;
  return out;
}

// ---------------------------------------------------------------------------------------------
// redis-server, for the L2 variant

/** "Redis 7.0.15", or undefined when redis-server is not on PATH. */
function redisVersion() {
  try {
    const text = execFileSync('redis-server', ['--version'], { encoding: 'utf8' }).trim();
    const v = text.match(/\bv=(\S+)/)?.[1];
    return v ? `Redis ${v}` : text;
  } catch {
    return undefined; // not installed: the L2 variant is left out (or refused with BENCH_CACHE_L2=1)
  }
}

class Redis {
  async start() {
    this.port = await freePort();
    progress(`redis: starting redis-server on ${this.port} (no persistence)`);
    this.args = ['--port', String(this.port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'];
    this.child = new Child('redis-server', 'redis-server', this.args, { cwd: os.tmpdir() }).start();
    await waitFor('redis-server to answer PING', async () => {
      this.child.assertRunning();
      return this.cli('PING') === 'PONG';
    });
    return this;
  }

  cli(...args) {
    return execFileSync('redis-cli', ['-h', '127.0.0.1', '-p', String(this.port), ...args], {
      encoding: 'utf8',
      timeout: 5000,
    }).trim();
  }

  /** Number of cached entries (`muninn:v:…` / `muninn:v#:…`). */
  entries() {
    const keys = this.cli('--scan', '--pattern', 'muninn:v*');
    return keys ? keys.split('\n').length : 0;
  }

  /** keyspace_hits / keyspace_misses since the start. */
  stats() {
    const info = this.cli('INFO', 'stats');
    const num = (name) => Number(info.match(new RegExp(`^${name}:(\\d+)`, 'm'))?.[1] ?? NaN);
    return { hits: num('keyspace_hits'), misses: num('keyspace_misses') };
  }
}

/** bench/peers/fixed-body.mjs answering `body`; resolves a worker-like { name, url, child }. */
async function startFloor(body) {
  if (Buffer.byteLength(body) > 100_000) throw new Error('the answer is too large to pass in BODY');
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  progress(`floor: starting node:http with the fixed answer on ${port}`);
  const child = new Child('fixed-body', process.execPath, [FIXED_BODY], {
    env: { NODE_ENV: 'production', PORT: String(port), BODY: body },
  }).start();
  await waitFor('the fixed-body server to answer', async () => {
    child.assertRunning();
    return (await fetch(`${url}/health`)).status === 200;
  });
  return { name: 'node:http', url, child };
}

// ---------------------------------------------------------------------------------------------
// checks before the load

/** The JSON text of the answer's `data` (throws on errors), and its summary ("50 rows"). */
async function answer(target, variant, shape) {
  const { url, headers, body } = target.queryRequest(variant.query, variant.worker);
  const res = await postJson(url, body, headers);
  graphqlData(`Muninn (${variant.label})`, res);
  return {
    text: JSON.stringify(res.json.data),
    summary: answerSummary(shape, target.rows(shape, res.json)),
  };
}

/** The cache details of a work node's readiness answer ({ l1, l2 }), or undefined. */
async function cacheDetails(worker) {
  try {
    const res = await fetch(`${worker.url}/health/ready`, { signal: AbortSignal.timeout(5000) });
    const json = await res.json();
    return (json.details ?? json.info)?.cache;
  } catch {
    return undefined; // only reported, never checked: a node without these details is not an error
  }
}

/**
 * 1. Every variant answers the same JSON (the cached ones fill their cache with this request).
 * 2. Served from the cache: after every order's total was raised in SQL, the uncached answer
 *    changes and the cached ones do not; then the totals are restored (and the table vacuumed),
 *    and the uncached answer is the original again.
 */
async function check(target, variants, shape, redis) {
  const base = await answer(target, variants[0], shape);
  for (const v of variants.slice(1)) {
    const got = await answer(target, v, shape);
    if (got.text !== base.text) {
      throw fatal(
        `${v.label} answers other JSON than ${variants[0].label}:\n  ${got.text.slice(0, 300)}\n  ` +
          base.text.slice(0, 300),
      );
    }
  }
  progress(`check: ${variants.map((v) => v.label).join(', ')} answer the same JSON (${base.summary})`);

  const l1Node = variants.find((v) => v.key === 'l1').worker;
  const l1 = (await cacheDetails(l1Node))?.l1;
  if (l1) progress(`check: ${l1Node.name} L1 after the first request: ${JSON.stringify(l1)}`);
  let l2Entries;
  if (redis) {
    l2Entries = await waitFor('the L2 entry to reach Redis', () => redis.entries(), 5000, 100);
    progress(`check: Redis holds ${l2Entries} cached entr${l2Entries === 1 ? 'y' : 'ies'}`);
  }

  const cached = variants.filter((v) => v.cached);
  const stale = {};
  await withClient(BENCH_DB, async (c) => {
    progress(`check: UPDATE orders SET total = total + ${BUMP} (directly in PostgreSQL)`);
    await c.query(`UPDATE orders SET total = total + ${BUMP}`);
    try {
      const fresh = await answer(target, variants[0], shape);
      if (fresh.text === base.text)
        throw fatal(`${variants[0].label} answers the same after the UPDATE: the check would prove nothing`);
      for (const v of cached) {
        const got = await answer(target, v, shape);
        if (got.text !== base.text)
          throw fatal(`${v.label} is not served from the cache: it answers the updated rows`);
        stale[v.key] = true;
      }
      progress(
        `check: after the UPDATE ${variants[0].label} answers the new totals, ` +
          `${cached.map((v) => v.label).join(' and ')} the cached ones`,
      );
    } finally {
      progress('check: restoring the totals; VACUUM ANALYZE orders');
      await c.query(`UPDATE orders SET total = total - ${BUMP}`);
      await c.query('VACUUM ANALYZE orders');
    }
    const again = await answer(target, variants[0], shape);
    if (again.text !== base.text) throw fatal('the restored rows answer differently from the original ones');
  });
  return { summary: base.summary, stale, l1, l2Entries };
}

// ---------------------------------------------------------------------------------------------
// report

/** Where the floor puts the target, from the figures of the run. */
function floorNote(results) {
  const floorVsUncached = results.floor.rps / results.uncached.rps;
  const share = `${Math.round((100 * results.l1.rps) / results.floor.rps)}%`;
  return floorVsUncached < GOAL
    ? [
        `In this run even the floor is only ${floorVsUncached.toFixed(2)}× the uncached throughput: on this`,
        `machine no cache in front of this query can reach ${GOAL}× here. The L1 hit reaches ${share} of the floor;`,
        'the rest is the HTTP framework, authentication and the engine around the lookup.',
        '',
      ]
    : [
        `The floor is ${floorVsUncached.toFixed(2)}× the uncached throughput; the L1 hit reaches ${share} of it (the`,
        'rest is the HTTP framework, authentication and the engine around the lookup).',
        '',
      ];
}

/** A warning when other processes used much CPU during a measurement (the figures are then noisy). */
function noiseNote(results, variants) {
  const busy = variants
    .map((v) => ({ label: v.label, other: results[v.key].other }))
    .filter((x) => x.other.percent >= NOISY_CPU_PERCENT);
  if (!busy.length) return [];
  const list = busy
    .map((x) => `${x.label} ${x.other.percent}%${x.other.top.length ? ` (${x.other.top.join(', ')})` : ''}`)
    .join('; ');
  return [
    `**Noisy run:** processes outside the benchmark used CPU during some measurements: ${list}.`,
    'These figures are distorted; compare with a run on a quiet machine.',
    '',
  ];
}

const fmtRatio = (x, goal) => `${x.toFixed(2)}×${goal ? ` ${x >= goal ? 'pass' : 'FAIL'}` : ''}`;

function resultHeader(cfg) {
  const h = ['Variant', 'Work node', 'req/s', 'p50 ms', 'p99 ms', 'requests', 'failed', 'other CPU %'];
  if (cfg.rounds > 1) h.push('req/s of each round');
  return h;
}

function resultRows(results, variants) {
  return variants.map((v) => {
    const m = results[v.key];
    return [
      v.label,
      v.worker.name,
      m.rps.toFixed(0),
      m.p50,
      m.p99,
      m.total,
      m.failed,
      m.other.percent,
      ...(m.rounds.length > 1 ? [m.rounds.map((x) => x.toFixed(0)).join(' / ')] : []),
    ];
  });
}

/** Ratios of the kept (median) rounds, and with several rounds the ratio within each round. */
function ratioRows(results, variants, rounds) {
  const ratio = (a, b) => {
    const row = [
      fmtRatio(results[a].rps / results[b].rps, a === 'l1' && b === 'uncached' ? GOAL : undefined),
    ];
    if (rounds > 1) {
      const each = results[a].rounds.map((x, i) => (x / results[b].rounds[i]).toFixed(2));
      row.push(each.join(' / '));
    }
    return row;
  };
  const label = (key) => variants.find((v) => v.key === key).label;
  const pairs = [
    ...variants.filter((v) => v.cached).map((v) => [v.key, 'uncached']),
    ['floor', 'uncached'],
    ['l1', 'floor'],
  ];
  return pairs.map(([a, b]) => [`${label(a)} / ${label(b)}`, ...ratio(a, b)]);
}

function ratioHeader(rounds) {
  return ['Ratio of req/s', 'value', ...(rounds > 1 ? ['within each round'] : [])];
}

function markdown({ cfg, target, variants, results, checked, facts, redis, started, elapsedS, load }) {
  const ratio = results.l1.rps / results.uncached.rps;
  const shape = SHAPES[cfg.shape];
  const [plain, cached] = [variants[0].query, variants[1].query];
  const cachedLabels = variants.filter((v) => v.cached).map((v) => v.label);
  const muninnLabels = variants.filter((v) => v.key !== 'floor').map((v) => v.label);
  const staleLabels = variants
    .filter((v) => checked.stale[v.key])
    .map((v) => v.label)
    .join(' and ');
  const lines = [];
  const push = (...l) => lines.push(...l);
  push(
    '## Cache (L1 hit) vs uncached',
    '',
    '<!-- Written by bench/cache.mjs from a measured run. Do not edit by hand: run it again. -->',
    '',
    `One query, shape (${cfg.shape}) ${shape.title} (${shape.what}), ${redis ? 'four' : 'three'} ways, measured one after`,
    'the other by autocannon in one run:',
    '',
    `- **uncached**: no directive; every request reaches PostgreSQL (work node \`${variants[0].worker.name}\`).`,
    `- **L1 hit**: \`@cache(ttl: ${TTL_S})\` on the root field, same work node (L1 on, no L2): every request`,
    '  after the first is answered from the in-process L1 cache.',
    ...(redis
      ? [
          `- **L2 hit**: the same on work node \`${variants.find((v) => v.key === 'l2').worker.name}\` (L1 off, L2 = Redis).`,
        ]
      : []),
    '- **floor**: not Muninn, a bare node:http server answering every request with the same text (no',
    '  framework, no authentication, no lookup): the most any cache hit can reach on this machine.',
    '',
    `Target (SPEC §12): L1 hits ≥ ${GOAL}× the uncached throughput.`,
    '',
    '### Run',
    '',
    '```sh',
    'npm run build',
    commandLine('bench:cache', 'bench/cache.mjs'),
    '```',
    '',
    `- Date: ${started.toISOString()} (took ${elapsedS} s)`,
    `- Machine: ${facts.cpu}, ${facts.memory} RAM, ${facts.os}`,
    `- Node.js ${facts.node}; ${facts.postgres}${redis ? `; ${facts.redis}` : ''}`,
    `- Muninn ${facts.muninn}; autocannon ${facts.autocannon}`,
    `- Load: autocannon (programmatic API, in the benchmark's own process), ${cfg.connections} connections,`,
    `  pipelining 1, ${cfg.warmup} s warm-up then ${cfg.duration} s measured per variant; the order of the`,
    '  variants rotates from round to round.',
    cfg.rounds > 1
      ? `- ${cfg.rounds} rounds; each row shows the round with the median req/s, and the ratios use those medians.`
      : '- One round.',
    `- Load average (1 min) of the machine before the run: ${load.before}. The column "other CPU %" is`,
    '  the CPU used during each measurement by processes other than the benchmark, its servers and',
    '  PostgreSQL (100 = one CPU).',
    '',
    '### Results',
    '',
    mdTable(resultHeader(cfg), resultRows(results, variants)),
    '',
    mdTable(ratioHeader(cfg.rounds), ratioRows(results, variants, cfg.rounds)),
    '',
    ratio >= GOAL
      ? `**Target met:** L1 hits ${ratio.toFixed(2)}× uncached (≥ ${GOAL}×).`
      : `**Target missed:** L1 hits ${ratio.toFixed(2)}× uncached (goal ≥ ${GOAL}×).`,
    '',
    ...floorNote(results),
    ...noiseNote(results, variants),
    '### Checks (before the load)',
    '',
    `- Same answer: ${muninnLabels.join(', ')} returned byte-identical \`data\``,
    `  JSON (${checked.summary}); the first request of each cached variant filled its cache.`,
    `- Served from the cache: every order's \`total\` was then raised by ${BUMP} directly in`,
    `  PostgreSQL; the uncached answer changed, ${staleLabels} still answered the cached`,
    '  totals. The totals were restored (and `VACUUM ANALYZE orders` run) before the load, and the',
    '  uncached answer was the original again.',
  );
  if (redis) {
    const n = checked.l2Entries;
    push(
      `- L2: Redis held ${n} cached entr${n === 1 ? 'y' : 'ies'} after the first request. During all measurements`,
      `  it counted ${redis.during.hits} keyspace hits and ${redis.during.misses} misses. An L2 lookup reads the entry`,
      '  and the epochs of its tags in one multi-get (one hit per key); concurrent requests of the same',
      '  key on a node share one lookup (single flight), so there are fewer lookups than requests.',
    );
  }
  push(
    '',
    '### Queries',
    '',
    'Uncached:',
    '',
    '```graphql',
    plain,
    '```',
    '',
    `Cached (${cachedLabels.join(', ')}):`,
    '',
    '```graphql',
    cached,
    '```',
    '',
    '### Servers',
    '',
    `- **Muninn**: ${target.describe()}.`,
    '- `CACHE_L1_MAX_SIZE` is left at its default (512 MB). Uncached and L1 hit run on the same work',
    '  node, with the same plan cache and pool: the cached query differs only by the directive, so the',
    '  difference is the cache lookup against the round trip to PostgreSQL.',
  );
  push(
    '- **floor**: `bench/peers/fixed-body.mjs`, node:http that reads and parses the request body and',
    '  answers the uncached answer of the same query, byte for byte, to every request.',
  );
  if (redis) {
    const args = redis.args.map((a) => (a === '' ? "''" : a)).join(' ');
    push(`- **Redis**: ${facts.redis}, started for the run: \`redis-server ${args}\`.`);
  } else {
    push(`- No L2 variant: ${cfg.l2 === false ? '`BENCH_CACHE_L2=0`' : 'redis-server is not on PATH'}.`);
  }
  push(
    '',
    `Data: \`${BENCH_DB}\` as above (${CUSTOMERS} customers, ${ORDERS} orders, \`bench/data.mjs\`). With`,
    `${os.cpus().length} CPU(s), the load generator, the work node and PostgreSQL share the machine:`,
    'an L1 hit uses no PostgreSQL at all, so part of its advantage is the CPU PostgreSQL leaves free.',
    'Absolute figures move with the machine from run to run; the ratios within one run are the',
    'meaningful part.',
  );
  return `${lines.join('\n')}\n`;
}

// ---------------------------------------------------------------------------------------------

async function main() {
  const started = new Date();
  const load = { before: os.loadavg()[0].toFixed(2) };
  const cfg = readConfig();
  const redisAvailable = redisVersion();
  if (cfg.l2 === true && !redisAvailable) throw new Error('BENCH_CACHE_L2=1 but redis-server is not on PATH');
  const useL2 = cfg.l2 ?? !!redisAvailable;
  progress(
    `config: shape (${cfg.shape}), variants uncached, L1 hit${useL2 ? ', L2 hit' : ''}, floor; ` +
      `${cfg.connections} connections, ${cfg.warmup} s warm-up, ${cfg.duration} s per measurement, ` +
      `${cfg.rounds} round(s); report: ${cfg.out ? relative(ROOT, cfg.out) : 'none'}`,
  );
  progress(`machine: ${os.cpus().length} CPU(s), load average (1 min) ${load.before}`);
  progress(`data: creating ${BENCH_DB} (${CUSTOMERS} customers, ${ORDERS} orders)`);
  const counts = await createBenchDatabase();
  progress(`data: ${counts.customers} customers, ${counts.orders} orders`);
  const pgVersion = (await serverVersion()).replace(/ on .*/, '');

  const redis = useL2 ? await new Redis().start() : undefined;
  const target = new MuninnTarget({
    workers: [
      { name: 'bench-l1', env: { CACHE_L1_ENABLED: 'true' } },
      ...(redis
        ? [
            {
              name: 'bench-l2',
              env: {
                CACHE_L2_ENABLED: 'true',
                CACHE_L2_BACKEND: 'redis',
                CACHE_L2_ADDRESSES: `127.0.0.1:${redis.port}`,
              },
            },
          ]
        : []),
    ],
  });
  await target.start();
  const [l1Node, l2Node] = target.workers;

  const plain = target.queries(cfg.shape);
  const cachedQuery = withCacheDirective(plain);
  const variants = [
    { key: 'uncached', label: 'uncached', worker: l1Node, query: plain, cached: false },
    { key: 'l1', label: 'L1 hit', worker: l1Node, query: cachedQuery, cached: true },
    ...(l2Node ? [{ key: 'l2', label: 'L2 hit', worker: l2Node, query: cachedQuery, cached: true }] : []),
  ];
  const checked = await check(target, variants, cfg.shape, redis);
  // the floor answers the uncached answer's exact text (the totals are restored by now)
  const { url, headers, body } = target.queryRequest(plain, l1Node);
  const floor = await startFloor((await postJson(url, body, headers)).text);
  variants.push({ key: 'floor', label: 'floor (fixed body)', worker: floor, query: plain, cached: false });

  const before = redis?.stats();
  const results = (
    await measureRounds(cfg, [
      {
        key: 'cache',
        label: `shape (${cfg.shape})`,
        items: variants.map((v) => ({
          key: v.key,
          label: v.label,
          request: target.queryRequest(v.query, v.worker),
          assertRunning: () => (v.key === 'floor' ? floor.child.assertRunning() : target.assertRunning()),
        })),
      },
    ])
  ).cache;
  if (redis) {
    const after = redis.stats();
    redis.during = { hits: after.hits - before.hits, misses: after.misses - before.misses };
    const l2 = (await cacheDetails(l2Node))?.l2;
    if (l2 && l2.up === false) throw new Error(`L2 went down during the run: ${JSON.stringify(l2)}`);
  }

  process.stdout.write(`\n${textTable([resultHeader(cfg), ...resultRows(results, variants)])}\n\n`);
  process.stdout.write(
    `${textTable([ratioHeader(cfg.rounds), ...ratioRows(results, variants, cfg.rounds)])}\n\n`,
  );
  const ratio = results.l1.rps / results.uncached.rps;
  progress(
    ratio >= GOAL
      ? `target met: L1 hits ${ratio.toFixed(2)}× uncached (≥ ${GOAL}×)`
      : `target missed: L1 hits ${ratio.toFixed(2)}× uncached (goal ≥ ${GOAL}×)`,
  );
  if (redis) progress(`Redis during the load: ${redis.during.hits} hits, ${redis.during.misses} misses`);
  if (Object.values(results).some((m) => m.failed > 0))
    progress('WARNING: some requests failed during the load (see the "failed" column)');

  if (cfg.out) {
    const elapsedS = Math.round((Date.now() - started.getTime()) / 1000);
    const facts = { ...machineFacts(pgVersion), redis: redisAvailable };
    const body = markdown({ cfg, target, variants, results, checked, facts, redis, started, elapsedS, load });
    writeSection(cfg.out, SECTION_OWNER, body, '# Benchmarks');
    progress(`report written to ${relative(ROOT, cfg.out)} (section "Cache (L1 hit) vs uncached")`);
  }
  return cfg.strict && ratio < GOAL ? 1 : 0;
}

runBenchmark(main);
