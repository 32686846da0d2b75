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
//                      targets; a partial run writes a file only when BENCH_OUT is set; `-`
//                      writes none)
//   BENCH_STRICT=1     exit 1 when a target ratio is missed (default: report only)
//
// Every child process and both databases (muninn_bench, muninn_bench_core) are removed at the end,
// also after a failure or Ctrl-C. Sections of the report written by other scripts (between
// `<!-- begin bench/… -->` and `<!-- end bench/… -->`, e.g. the cache benchmark's) are kept.

import fs from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import { relative, resolve } from 'node:path';
import { BENCH_DB, CUSTOMERS, ORDERS, CATALOG_SDL, createBenchDatabase, serverVersion } from './data.mjs';
import { POOL_SIZE, SHAPES as RAW_SQL } from './peers/raw-pg.mjs';
import { ROOT, progress } from './lib.mjs';
import { loadConfig, measureRounds, runBenchmark } from './measure.mjs';
import { commandLine, machineFacts, markedSections, mdTable, textTable } from './report.mjs';
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

const TARGETS = { muninn: MuninnTarget, postgraphile: PostGraphileTarget, 'raw-pg': RawPgTarget };
const GOAL_VS_POSTGRAPHILE = 1.5;
const GOAL_VS_RAW = 0.75;

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
  // `-` writes no file (as in bench/cache.mjs and bench/duckdb.mjs)
  const asked = process.env.BENCH_OUT?.trim();
  const out = asked === '-' ? undefined : asked || (full ? 'docs/benchmarks.md' : undefined);
  return {
    ...loadConfig(),
    targets: Object.keys(TARGETS).filter((t) => targets.includes(t)),
    out: out && resolve(ROOT, out),
  };
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
    commandLine('bench', 'bench/run.mjs'),
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
  const results = await measureRounds(
    cfg,
    Object.keys(SHAPES).map((shape) => ({
      key: shape,
      label: `shape (${shape})`,
      items: targets.map((t) => ({
        key: t.key,
        label: t.label,
        request: t.request(shape),
        assertRunning: () => t.assertRunning(),
      })),
    })),
  );

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
    const facts = {
      ...machineFacts(pgVersion),
      postgraphile: require('postgraphile/package.json').version,
      pgAggregates: pgAggregatesVersion() ?? 'not installed',
    };
    // sections other scripts own (e.g. bench/cache.mjs) stay, after this script's part
    const kept = markedSections(cfg.out);
    const report = markdown({ cfg, targets, results, agreement, facts, started, elapsedS, load, missed });
    fs.writeFileSync(cfg.out, [report, ...kept].join('\n'));
    progress(`report written to ${relative(ROOT, cfg.out)}`);
  }
  return cfg.strict && missed.length ? 1 : 0;
}

runBenchmark(main);
