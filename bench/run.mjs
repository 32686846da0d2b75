// Benchmark: Muninn's data API vs PostGraphile 4 vs raw `pg` over HTTP, same PostgreSQL, same data,
// equivalent queries, autocannon side by side in one run. Writes docs/benchmarks.md from the run.
//
//   npm run build && npm run bench
//
// Environment (all optional):
//   BENCH_DURATION     seconds measured per shape and target (default 10)
//   BENCH_WARMUP       seconds of warm-up load before each measurement (default 2)
//   BENCH_CONNECTIONS  concurrent connections of autocannon (default 32)
//   BENCH_ROUNDS       repeat the whole matrix this many times and keep the median (default 1)
//   BENCH_TARGETS      comma list of muninn, postgraphile, raw-pg (default: all three)
//   BENCH_OUT          markdown file to write (default docs/benchmarks.md for a run of all three
//                      targets; a partial run writes a file only when BENCH_OUT is set)
//   BENCH_STRICT=1     exit 1 when a target ratio is missed (default: report only)
//
// Every child process and both databases (muninn_bench, muninn_bench_core) are removed at the end,
// also after a failure or Ctrl-C.

import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import { relative, resolve } from 'node:path';
import {
  BENCH_DB,
  CORE_DB,
  CUSTOMERS,
  ORDERS,
  CATALOG_SDL,
  createBenchDatabase,
  dropBenchDatabases,
  serverVersion,
} from './data.mjs';
import { POOL_SIZE, SHAPES as RAW_SQL } from './peers/raw-pg.mjs';
import { ROOT, killAllChildrenNow, progress, sleep, stopAllChildren, watchOtherCpu } from './lib.mjs';
import {
  AGGREGATE_SHAPES,
  MuninnTarget,
  PostGraphileTarget,
  RawPgTarget,
  SHAPES,
  answerSummary,
  pgAggregatesVersion,
  probe,
} from './targets.mjs';

const require = createRequire(import.meta.url);
const autocannon = require('autocannon');

const TARGETS = { muninn: MuninnTarget, postgraphile: PostGraphileTarget, 'raw-pg': RawPgTarget };
const GOAL_VS_POSTGRAPHILE = 1.5;
const GOAL_VS_RAW = 0.75;

function envNumber(name, fallback, min) {
  const raw = process.env[name];
  if (raw === undefined || raw.trim() === '') return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value) || value < min) throw new Error(`${name}=${raw}: expected a number ≥ ${min}`);
  return value;
}

function readConfig() {
  const targets = (process.env.BENCH_TARGETS ?? 'muninn,postgraphile,raw-pg')
    .split(',')
    .map((t) => t.trim())
    .filter(Boolean);
  for (const t of targets) {
    if (!TARGETS[t])
      throw new Error(`BENCH_TARGETS: unknown target "${t}" (use ${Object.keys(TARGETS).join(', ')})`);
  }
  const full = Object.keys(TARGETS).every((t) => targets.includes(t));
  const out = process.env.BENCH_OUT?.trim() || (full ? 'docs/benchmarks.md' : undefined);
  return {
    duration: envNumber('BENCH_DURATION', 10, 1),
    rounds: Math.floor(envNumber('BENCH_ROUNDS', 1, 1)),
    warmup: envNumber('BENCH_WARMUP', 2, 0),
    connections: envNumber('BENCH_CONNECTIONS', 32, 1),
    targets: Object.keys(TARGETS).filter((t) => targets.includes(t)),
    out: out && resolve(ROOT, out),
    strict: /^(1|true|yes)$/i.test(process.env.BENCH_STRICT ?? ''),
  };
}

/** The command as it was typed, as far as it can be rebuilt: BENCH_* variables + npm script or node. */
function commandLine() {
  const vars = Object.entries(process.env)
    .filter(([k]) => k.startsWith('BENCH_'))
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([k, v]) => `${k}=${v}`);
  const cmd = process.env.npm_lifecycle_event === 'bench' ? 'npm run bench' : 'node bench/run.mjs';
  return [...vars, cmd].join(' ');
}

// ---------------------------------------------------------------------------------------------
// cleanup, on every way out

let cleaning;
let aborted = false;
let current; // the running autocannon instance, stopped on Ctrl-C
function cleanup() {
  cleaning ??= (async () => {
    current?.stop?.();
    progress('stopping every process started by the benchmark');
    await stopAllChildren();
    progress(`dropping databases ${BENCH_DB}, ${CORE_DB}`);
    await dropBenchDatabases().catch((err) =>
      progress(`warning: could not drop the databases: ${err.message}`),
    );
  })();
  return cleaning;
}

for (const signal of ['SIGINT', 'SIGTERM']) {
  process.on(signal, () => {
    aborted = true;
    progress(`${signal}: aborting`);
    cleanup().finally(() => process.exit(130));
  });
}
process.on('exit', killAllChildrenNow);

// ---------------------------------------------------------------------------------------------
// load

function fire(request, seconds, connections) {
  return new Promise((res, rej) => {
    current = autocannon(
      { ...request, connections, duration: seconds, pipelining: 1, timeout: 10 },
      (err, result) => {
        current = undefined;
        if (aborted) return; // the process exits after the cleanup; nothing more to report
        if (err) rej(err);
        else res(result);
      },
    );
  });
}

async function measureOnce(cfg, target, shape, label) {
  const request = target.request(shape);
  if (cfg.warmup > 0) {
    progress(`${label}: warm-up ${cfg.warmup} s`);
    await fire(request, cfg.warmup, cfg.connections);
  }
  progress(`${label}: measuring ${cfg.duration} s, ${cfg.connections} connections`);
  const others = watchOtherCpu();
  const r = await fire(request, cfg.duration, cfg.connections);
  const other = others();
  target.assertRunning();
  const m = {
    rps: r.latency.totalCount / r.duration, // answers received / seconds the load actually ran
    total: r.latency.totalCount,
    p50: r.latency.p50,
    p99: r.latency.p99,
    failed: r.errors + r.timeouts + r.non2xx,
    other,
  };
  progress(
    `${label}: ${m.rps.toFixed(0)} req/s, p50 ${m.p50} ms, p99 ${m.p99} ms` +
      (m.failed ? `, ${m.failed} failed` : '') +
      `; other processes ${other.percent}% CPU${other.top.length ? ` (${other.top.join(', ')})` : ''}`,
  );
  await sleep(500);
  return m;
}

/**
 * Every shape against every target, `cfg.rounds` times; per shape and target the round with the
 * median req/s is kept (with the req/s of all rounds).
 */
async function measure(cfg, targets) {
  const all = {};
  for (let round = 1; round <= cfg.rounds; round++) {
    for (const [i, shape] of Object.keys(SHAPES).entries()) {
      all[shape] ??= {};
      // the order of the targets rotates from shape to shape (and round to round), so that none is
      // always first or last
      const k = (i + round - 1) % targets.length;
      for (const target of [...targets.slice(k), ...targets.slice(0, k)]) {
        const label = `${cfg.rounds > 1 ? `round ${round}/${cfg.rounds} ` : ''}shape (${shape}) ${target.label}`;
        (all[shape][target.key] ??= []).push(await measureOnce(cfg, target, shape, label));
      }
    }
  }
  const results = {};
  for (const [shape, byTarget] of Object.entries(all)) {
    results[shape] = {};
    for (const [key, runs] of Object.entries(byTarget)) {
      const sorted = [...runs].sort((a, b) => a.rps - b.rps);
      results[shape][key] = {
        ...sorted[Math.floor((sorted.length - 1) / 2)],
        rounds: runs.map((m) => m.rps),
      };
    }
  }
  return results;
}

// ---------------------------------------------------------------------------------------------
// report

function ratios(results) {
  const out = {};
  for (const [shape, r] of Object.entries(results)) {
    const mu = r.muninn?.rps;
    out[shape] = {
      vsPostgraphile: mu !== undefined && r.postgraphile ? mu / r.postgraphile.rps : undefined,
      vsRaw: mu !== undefined && r['raw-pg'] ? mu / r['raw-pg'].rps : undefined,
      // the ceiling: raw pg / PostGraphile (below the goal, the shape is mostly PostgreSQL's work)
      rawVsPostgraphile: r['raw-pg'] && r.postgraphile ? r['raw-pg'].rps / r.postgraphile.rps : undefined,
    };
  }
  return out;
}

/** Ratios need Muninn and at least one peer. */
const hasRatios = (targets) =>
  targets.some((t) => t.key === 'muninn') && targets.some((t) => t.key !== 'muninn');

/** Shapes where raw pg itself is below the goal against PostGraphile, e.g. "(e) (raw pg 1.34×)". */
function ceilingNotes(r) {
  return Object.entries(r)
    .filter(([, x]) => x.rawVsPostgraphile !== undefined && x.rawVsPostgraphile < GOAL_VS_POSTGRAPHILE)
    .map(([shape, x]) => `(${shape}) (raw pg ${x.rawVsPostgraphile.toFixed(2)}×)`);
}

const fmtRatio = (x, goal) => (x === undefined ? '—' : `${x.toFixed(2)}× ${x >= goal ? 'pass' : 'FAIL'}`);

function textTable(rows) {
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => String(r[i]).length)));
  return rows.map((r) => r.map((c, i) => String(c).padEnd(widths[i])).join('  ')).join('\n');
}

function resultHeader(cfg) {
  const h = ['Shape', 'Target', 'req/s', 'p50 ms', 'p99 ms', 'requests', 'failed', 'other CPU %'];
  if (cfg.rounds > 1) h.push('req/s of each round');
  return h;
}

function resultRows(results, targets) {
  const rows = [];
  for (const shape of Object.keys(SHAPES)) {
    for (const t of targets) {
      const m = results[shape][t.key];
      rows.push([
        `(${shape}) ${SHAPES[shape].title}`,
        t.label,
        m.rps.toFixed(0),
        m.p50,
        m.p99,
        m.total,
        m.failed,
        m.other.percent,
        ...(m.rounds.length > 1 ? [m.rounds.map((x) => x.toFixed(0)).join(' / ')] : []),
      ]);
    }
  }
  return rows;
}

function ratioRows(r) {
  return Object.keys(SHAPES).map((shape) => [
    `(${shape}) ${SHAPES[shape].title}`,
    fmtRatio(r[shape].vsPostgraphile, GOAL_VS_POSTGRAPHILE),
    fmtRatio(r[shape].vsRaw, GOAL_VS_RAW),
  ]);
}

function mdTable(header, rows) {
  return [
    `| ${header.join(' | ')} |`,
    `|${header.map((_, i) => (i < 2 ? '---' : '---:')).join('|')}|`,
    ...rows.map((r) => `| ${r.join(' | ')} |`),
  ].join('\n');
}

function gitRevision() {
  try {
    const rev = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: ROOT, encoding: 'utf8' }).trim();
    const dirty = execFileSync('git', ['status', '--porcelain'], { cwd: ROOT, encoding: 'utf8' }).trim();
    return dirty ? `${rev} (with uncommitted changes)` : rev;
  } catch {
    return 'unknown';
  }
}

function machineFacts(pgVersion) {
  const cpus = os.cpus();
  return {
    cpu: `${cpus.length} × ${cpus[0]?.model?.trim() ?? 'unknown'}`,
    memory: `${(os.totalmem() / 2 ** 30).toFixed(1)} GiB`,
    os: `${os.type()} ${os.release()} (${os.arch()})`,
    node: process.version,
    postgres: pgVersion,
    postgraphile: require('postgraphile/package.json').version,
    pgAggregates: pgAggregatesVersion() ?? 'not installed',
    autocannon: require('autocannon/package.json').version,
    muninn: `${require('../package.json').version}, commit ${gitRevision()}`,
  };
}

function markdown({ cfg, targets, results, agreement, facts, started, elapsedS, load, missed }) {
  const r = ratios(results);
  const hasMuninn = targets.some((t) => t.key === 'muninn');
  const withRatios = hasRatios(targets);
  const lines = [];
  const push = (...l) => lines.push(...l);
  push(
    '# Benchmarks',
    '',
    '<!-- Written by bench/run.mjs from a measured run. Do not edit by hand: run the benchmark again. -->',
    '',
    `Muninn's data API (\`POST /query\` on a work node) against PostGraphile 4 and against hand-written SQL`,
    'over `pg` behind a minimal HTTP server ("raw pg"), on the same PostgreSQL and the same data, with',
    'equivalent queries, measured one after the other by autocannon in one run.',
    '',
    '## Run',
    '',
    '```sh',
    'npm run build',
    commandLine(),
    '```',
    '',
    `- Date: ${started.toISOString()} (took ${elapsedS} s)`,
    `- Machine: ${facts.cpu}, ${facts.memory} RAM, ${facts.os}`,
    `- Node.js ${facts.node}; ${facts.postgres}`,
    `- Muninn ${facts.muninn}; postgraphile ${facts.postgraphile} with @graphile/pg-aggregates ` +
      `${facts.pgAggregates}; autocannon ${facts.autocannon}`,
    `- Load: autocannon (programmatic API, in the benchmark's own process), ${cfg.connections} connections,`,
    `  pipelining 1, ${cfg.warmup} s warm-up then ${cfg.duration} s measured per shape and target; targets`,
    '  are loaded one at a time (all stay up); the order of the targets rotates from shape to shape.',
    cfg.rounds > 1
      ? `- ${cfg.rounds} rounds of the whole matrix; each row shows the round with the median req/s, and the ratios use those medians.`
      : '- One round of the whole matrix.',
    `- Targets measured: ${targets.map((t) => t.label).join(', ')}.`,
    `- Load average (1 min) of the machine before the run: ${load.before}. Work outside the benchmark`,
    '  distorts the figures: the column "other CPU %" is the CPU used during each measurement by',
    '  processes other than the benchmark, its servers and PostgreSQL (100 = one CPU).',
  );
  if (!hasMuninn) {
    push(
      '',
      '**Muninn was not measured in this run** (`BENCH_TARGETS` left it out), so there are no ratios.',
    );
  } else if (!withRatios) {
    push('', '**No peer was measured in this run** (`BENCH_TARGETS`), so there are no ratios.');
  }
  push(
    '',
    '## Results',
    '',
    mdTable(resultHeader(cfg), resultRows(results, targets)),
    '',
    '`req/s` is the number of answers divided by the seconds the load ran; `failed` counts errors,',
    'timeouts and non-2xx answers (a GraphQL error with HTTP 200 is not counted: the answers were',
    'checked once before the load, see below).',
  );
  if (withRatios) {
    push(
      '',
      `Targets: Muninn ≥ ${GOAL_VS_POSTGRAPHILE}× PostGraphile and ≥ ${GOAL_VS_RAW}× raw pg on every shape.`,
      '',
      mdTable(['Shape', 'Muninn / PostGraphile', 'Muninn / raw pg'], ratioRows(r)),
      '',
      missed.length ? `**Targets missed:** ${missed.join(', ')}.` : '**All targets met.**',
    );
    const bound = ceilingNotes(r);
    if (bound.length) {
      push(
        '',
        `On ${bound.join(', ')} even hand-written SQL is below ${GOAL_VS_POSTGRAPHILE}× PostGraphile: most`,
        'of the time goes to PostgreSQL, so meeting the target there would need Muninn to beat raw pg by',
        'the difference; compare Muninn with raw pg on those shapes.',
      );
    }
  }
  push('', '## Same rows everywhere', '');
  for (const shape of Object.keys(SHAPES)) {
    const a = agreement[shape];
    const what = AGGREGATE_SHAPES.has(shape) ? 'counts and sums' : 'ids';
    push(
      `- (${shape}) ${a.same ? `all targets returned the same ${what}` : `**${what} differ**: ${a.detail}`} ` +
        `(${a.rows}).`,
    );
  }
  push(
    '',
    'Checked once before the load: the ids of every row (and of the nested rows) of each answer are',
    'compared between the targets; for the aggregations (d) and (e) the row count and the sum, average',
    '(and for (d) minimum and maximum) of `total`, per status for (e), sums to the cent and averages to',
    '4 decimals.',
    '',
    '## Data',
    '',
    `Database \`${BENCH_DB}\`, recreated by \`bench/data.mjs\` on every run with deterministic rows:`,
    `${CUSTOMERS} customers and ${ORDERS} orders, indexes on \`orders(customer_id)\`, \`orders(status)\`,`,
    '`orders(total)`, `customers(country)`, plus the primary keys and `customers(email)` unique; `VACUUM',
    'ANALYZE` after loading. Muninn catalog (inline SDL):',
    '',
    '```graphql',
    CATALOG_SDL,
    '```',
    '',
    '## Query mapping',
    '',
  );
  for (const [shape, s] of Object.entries(SHAPES)) {
    push(`### (${shape}) ${s.title}: ${s.what}`, '');
    for (const t of targets) {
      if (t.key === 'raw-pg') {
        push(`${t.label} — \`${t.queries(shape)}\`:`, '', '```sql', dedent(RAW_SQL[shape].sql), '```', '');
      } else {
        push(`${t.label}:`, '', '```graphql', t.queries(shape), '```', '');
      }
    }
  }
  push('## Servers', '');
  for (const t of targets) push(`- **${t.label}**: ${t.describe()}.`);
  push(
    '',
    '## Notes',
    '',
    `- Every server uses a pool of ${POOL_SIZE} PostgreSQL connections and runs as one Node.js process.`,
    "- Figures move from run to run on a shared or virtual machine, the peers' as much as Muninn's, so",
    '  a ratio close to its target can pass in one run and miss in the next: compare several runs',
    '  before reading much into a few percent.',
    `- The machine has ${os.cpus().length} CPU(s). The load generator, the server under load, PostgreSQL (and, idle, the`,
    '  other servers) share them, so absolute figures are low and partly measure the load generator;',
    '  the ratios between targets of the same run are the meaningful part.',
    '- PostGraphile 4 without plugins filters only by equality (`condition`). For the `total > 500` half',
    '  of shape (c) the data set has a SQL function `orders_total_over(min_total numeric) RETURNS SETOF',
    '  orders` (`LANGUAGE sql STABLE`, which PostgreSQL inlines, so it plans like a `WHERE`), tagged',
    '  `@sortable @filterable` so that PostGraphile offers `condition` and `orderBy` on it.',
    '- Answers differ in form, not in rows: PostGraphile returns NUMERIC as a string (`"305.50"`) and uses',
    '  camelCase names; raw pg and Muninn return numbers. Raw pg answers the same JSON as a GraphQL',
    '  `data` object, but parses no GraphQL at all: it is the ceiling.',
    '- PostGraphile runs with a preload (`bench/peers/postgraphile-resolve.cjs`) that makes all its',
    '  modules use the graphql@15 copy postgraphile depends on. This repository depends on graphql@16,',
    '  which npm hoists; without the preload PostGraphile mixes both copies and every query with',
    '  arguments fails ("Unexpected input type"). The preload only redirects module resolution.',
    '- For the aggregations (d) and (e) PostGraphile runs with the plugin `@graphile/pg-aggregates` (the',
    "  0.1 line, for PostGraphile 4). Its peer dependency `graphql <16` conflicts with this repository's",
    '  graphql@16 (in the root it installs only with `--force`, which breaks a later `npm ci`), so it is',
    '  installed in a project of its own, `bench/peers/pg-aggregates/` (lock file, `legacy-peer-deps`,',
    '  `npm ci` run by the benchmark when missing); the preload resolves its peers (graphql,',
    "  graphile-build, graphile-build-pg, graphile-utils) to PostGraphile's own copies. Its aggregates",
    '  exist only on connections, hence `--simple-collections both` (shapes (a)–(c) still use the',
    '  `…List` fields). Its grouped aggregates have no row count: `distinctCount { id }` (the primary',
    '  key, so the same number) stands in for it, which costs PostgreSQL ~0.3 ms more per query here',
    '  (`count(DISTINCT id)` against `count(*)`, EXPLAIN ANALYZE); and they have no ordering, so the',
    '  check compares buckets sorted by status. Muninn and raw pg order the buckets by status.',
  );
  return `${lines.join('\n')}\n`;
}

function dedent(sql) {
  const ls = sql.split('\n').filter((l) => l.trim());
  const indent = Math.min(...ls.map((l) => l.match(/^ */)[0].length));
  return ls.map((l) => l.slice(indent).trimEnd()).join('\n');
}

// ---------------------------------------------------------------------------------------------

async function checkRows(targets) {
  const agreement = {};
  for (const shape of Object.keys(SHAPES)) {
    const got = {};
    for (const t of targets) got[t.key] = await probe(t, shape);
    const values = Object.values(got);
    const same = values.every((v) => v === values[0]);
    const rows = answerSummary(shape, values[0]);
    const detail = Object.entries(got)
      .map(([k, v]) => `${k}: ${v.length > 120 ? `${v.slice(0, 120)}…` : v}`)
      .join(' / ');
    agreement[shape] = { same, rows, detail };
    const what = AGGREGATE_SHAPES.has(shape) ? 'counts and sums' : 'ids';
    if (same) progress(`check (${shape}): ${targets.length} targets return the same ${what} (${rows})`);
    else progress(`WARNING: shape (${shape}) returns different ${what}: ${detail}`);
  }
  return agreement;
}

async function main() {
  const started = new Date();
  const load = { before: os.loadavg()[0].toFixed(2) };
  const cfg = readConfig();
  progress(
    `config: ${cfg.targets.join(', ')}; ${cfg.connections} connections, ${cfg.warmup} s warm-up, ` +
      `${cfg.duration} s per measurement, ${cfg.rounds} round(s); ` +
      `report: ${cfg.out ? relative(ROOT, cfg.out) : 'none (partial run)'}`,
  );

  progress(`machine: ${os.cpus().length} CPU(s), load average (1 min) ${load.before}`);
  progress(`data: creating ${BENCH_DB} (${CUSTOMERS} customers, ${ORDERS} orders)`);
  const counts = await createBenchDatabase();
  progress(`data: ${counts.customers} customers, ${counts.orders} orders`);
  const pgVersion = (await serverVersion()).replace(/ on .*/, '');

  const targets = cfg.targets.map((k) => new TARGETS[k]());
  for (const t of targets) await t.start();
  progress('all targets answer');

  const agreement = await checkRows(targets);
  const results = await measure(cfg, targets);

  process.stdout.write(`\n${textTable([resultHeader(cfg), ...resultRows(results, targets)])}\n`);
  const r = ratios(results);
  const missed = [];
  if (hasRatios(targets)) {
    process.stdout.write(
      `\n${textTable([['shape', `Muninn/PostGraphile (≥${GOAL_VS_POSTGRAPHILE})`, `Muninn/raw-pg (≥${GOAL_VS_RAW})`], ...ratioRows(r)])}\n\n`,
    );
    for (const [shape, x] of Object.entries(r)) {
      if (x.vsPostgraphile !== undefined && x.vsPostgraphile < GOAL_VS_POSTGRAPHILE)
        missed.push(`(${shape}) vs PostGraphile`);
      if (x.vsRaw !== undefined && x.vsRaw < GOAL_VS_RAW) missed.push(`(${shape}) vs raw pg`);
    }
    progress(missed.length ? `targets missed: ${missed.join(', ')}` : 'all targets met');
    const bound = ceilingNotes(r);
    if (bound.length)
      progress(`raw pg itself below ${GOAL_VS_POSTGRAPHILE}× PostGraphile on ${bound.join(', ')}`);
  } else {
    process.stdout.write('\n');
  }
  const failed = Object.values(results).some((byTarget) => Object.values(byTarget).some((m) => m.failed > 0));
  if (failed) progress('WARNING: some requests failed during the load (see the "failed" column)');

  if (cfg.out) {
    const elapsedS = Math.round((Date.now() - started.getTime()) / 1000);
    const facts = machineFacts(pgVersion);
    fs.writeFileSync(
      cfg.out,
      markdown({ cfg, targets, results, agreement, facts, started, elapsedS, load, missed }),
    );
    progress(`report written to ${relative(ROOT, cfg.out)}`);
  }
  return cfg.strict && missed.length ? 1 : 0;
}

main().then(
  async (code) => {
    await cleanup();
    progress('done');
    process.exit(code);
  },
  async (err) => {
    process.stderr.write(`[bench] FAILED: ${err?.message ?? err}\n`);
    await cleanup();
    process.exit(1);
  },
);
